"""PATCH /api/users/me"""

from activity_tracker.api import endpoint
from activity_tracker.logic.users import patch_me
from activity_tracker.models.user import MePatch, UserOut

handler = endpoint(patch_me, body=MePatch, response=UserOut)
