"""GET /api/user-activities"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import list_user_activities

handler = endpoint(list_user_activities, query="learning:UserActivityListQuery", response="learning:UserActivityPage")
