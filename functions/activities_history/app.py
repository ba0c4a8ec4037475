"""GET /api/activities/{id}/history"""

from activity_tracker.api import endpoint
from activity_tracker.logic.audit import activity_history

handler = endpoint(activity_history, query="audit:HistoryQuery", response="audit:AuditPage")
