"""GET /api/activities/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import get_activity
from activity_tracker.models.activity import ActivityGetQuery, ActivityOut

handler = endpoint(get_activity, query=ActivityGetQuery, response=ActivityOut)
