"""POST /api/activities/{id}/restore"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import restore_activity
from activity_tracker.models.activity import ActivityOut

handler = endpoint(restore_activity, response=ActivityOut)
