"""PATCH /api/activities/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import patch_activity

handler = endpoint(patch_activity, body="activity:ActivityPatch", response="activity:ActivityOut")
