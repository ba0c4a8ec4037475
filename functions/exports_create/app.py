"""POST /api/exports/bufdir"""

from activity_tracker.api import endpoint
from activity_tracker.logic.exports import create_export

handler = endpoint(create_export, status=202, body="export:ExportCreate", response="export:ExportQueued")
