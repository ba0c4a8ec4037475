"""PATCH /api/activities/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import patch_activity
from activity_tracker.models.activity import ActivityOut, ActivityPatch

handler = endpoint(patch_activity, body=ActivityPatch, response=ActivityOut)
