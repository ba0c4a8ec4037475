"""GET /api/user_progress"""

from activity_tracker.api import endpoint
from activity_tracker.logic.user_progress import list_rows
from activity_tracker.models.user_progress import ProgressListQuery, ProgressRows

handler = endpoint(list_rows, query=ProgressListQuery, response=ProgressRows)
