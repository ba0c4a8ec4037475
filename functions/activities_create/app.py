"""POST /api/activities"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import create_activity

handler = endpoint(create_activity, status=201, body="activity:ActivityCreate", response="activity:ActivityCreated", responses={200: "activity:ActivityCreated"})  # 200: a known local_id returns the existing record
