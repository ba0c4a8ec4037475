"""GET /api/user-activities/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import get_user_activity

handler = endpoint(get_user_activity, response="learning:UserActivityOut")
