"""GET /api/users"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import list_users
from activity_tracker.models.learning import PageQuery
from activity_tracker.models.user import UserPage

handler = endpoint(list_users, query=PageQuery, response=UserPage)
