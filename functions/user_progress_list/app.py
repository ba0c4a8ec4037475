"""GET /api/user_progress"""

from activity_tracker.api import endpoint
from activity_tracker.logic.user_progress import list_rows

handler = endpoint(list_rows, query="user_progress:ProgressListQuery", response="user_progress:ProgressRows")
