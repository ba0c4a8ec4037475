"""POST /api/activities/{id}/restore"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import restore_activity

handler = endpoint(restore_activity, response="activity:ActivityOut")
