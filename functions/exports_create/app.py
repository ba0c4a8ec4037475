"""POST /api/exports/bufdir"""

from activity_tracker.api import endpoint
from activity_tracker.logic.exports import create_export
from activity_tracker.models.export import ExportCreate, ExportQueued

handler = endpoint(create_export, status=202, body=ExportCreate, response=ExportQueued)
