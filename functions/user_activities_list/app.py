"""GET /api/user-activities"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import list_user_activities
from activity_tracker.models.learning import UserActivityListQuery, UserActivityPage

handler = endpoint(list_user_activities, query=UserActivityListQuery, response=UserActivityPage)
