"""POST /api/activities"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import create_activity
from activity_tracker.models.activity import ActivityCreate

handler = endpoint(create_activity, status=201, body=ActivityCreate, responses={200: None})  # 200: a known local_id returns the existing record
