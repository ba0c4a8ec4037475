"""PATCH /api/users/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import patch_user

handler = endpoint(patch_user, body="learning:UserAdminPatch", response="user:UserOut")
