"""PATCH /api/users/me"""

from activity_tracker.api import endpoint
from activity_tracker.logic.users import patch_me

handler = endpoint(patch_me, body="user:MePatch", response="user:UserOut")
