"""DELETE /api/activities/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import delete_activity

handler = endpoint(delete_activity, status=204)
