"""POST /api/activities"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import create_activity
from activity_tracker.models.activity import ActivityCreate

handler = endpoint(create_activity, body=ActivityCreate)
