"""POST /api/user-activities/{id}/complete"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import complete_user_activity

handler = endpoint(complete_user_activity, response="learning:UserActivityOut")
