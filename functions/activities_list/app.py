"""GET /api/activities"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import list_activities
from activity_tracker.models.activity import ActivityListQuery, ActivityPage

handler = endpoint(list_activities, query=ActivityListQuery, response=ActivityPage)
