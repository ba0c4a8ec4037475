"""GET /api/activities"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import list_activities

handler = endpoint(list_activities, query="activity:ActivityListQuery", response="activity:ActivityPage")
