"""PATCH /api/users/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import patch_user
from activity_tracker.models.learning import UserAdminPatch
from activity_tracker.models.user import UserOut

handler = endpoint(patch_user, body=UserAdminPatch, response=UserOut)
