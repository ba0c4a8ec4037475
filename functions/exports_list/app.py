"""GET /api/exports"""

from activity_tracker.api import endpoint
from activity_tracker.logic.exports import list_exports

handler = endpoint(list_exports, query="export:ExportListQuery", response="export:ExportPage")
