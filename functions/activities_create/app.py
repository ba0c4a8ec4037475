"""POST /api/activities"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import create_activity
from activity_tracker.models.activity import ActivityCreate, ActivityCreated

handler = endpoint(create_activity, status=201, body=ActivityCreate, response=ActivityCreated, responses={200: ActivityCreated})  # 200: a known local_id returns the existing record
