"""DELETE /api/user_progress/by-item"""

from activity_tracker.api import endpoint
from activity_tracker.logic.user_progress import delete_by_item
from activity_tracker.models.user_progress import DeletedCount, ProgressDeleteQuery

handler = endpoint(delete_by_item, query=ProgressDeleteQuery, response=DeletedCount)
