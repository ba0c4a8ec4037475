"""POST /api/activities/sync"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import sync_activities

handler = endpoint(sync_activities, body="activity:SyncRequest", response="activity:SyncResults")
