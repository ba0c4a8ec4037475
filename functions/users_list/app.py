"""GET /api/users"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import list_users

handler = endpoint(list_users, query="learning:PageQuery", response="user:UserPage")
