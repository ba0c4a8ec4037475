"""DELETE /api/user_progress/by-item"""

from activity_tracker.api import endpoint
from activity_tracker.logic.user_progress import delete_by_item

handler = endpoint(delete_by_item, query="user_progress:ProgressDeleteQuery", response="user_progress:DeletedCount")
