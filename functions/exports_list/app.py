"""GET /api/exports"""

from activity_tracker.api import endpoint
from activity_tracker.logic.exports import list_exports
from activity_tracker.models.export import ExportListQuery, ExportPage

handler = endpoint(list_exports, query=ExportListQuery, response=ExportPage)
