"""GET /api/users/me"""

from activity_tracker.api import endpoint
from activity_tracker.logic.users import get_me

handler = endpoint(get_me, response="user:UserOut")
