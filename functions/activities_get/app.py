"""GET /api/activities/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import get_activity

handler = endpoint(get_activity, query="activity:ActivityGetQuery", response="activity:ActivityOut")
