"""POST /api/activities/sync"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import sync_activities
from activity_tracker.models.activity import SyncRequest, SyncResults

handler = endpoint(sync_activities, body=SyncRequest, response=SyncResults)
