"""GET /api/exports/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.exports import get_export

handler = endpoint(get_export, response="export:ExportOut")
