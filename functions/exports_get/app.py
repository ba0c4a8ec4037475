"""GET /api/exports/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.exports import get_export
from activity_tracker.models.export import ExportOut

handler = endpoint(get_export, response=ExportOut)
