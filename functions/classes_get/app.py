"""GET /api/classes/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import get_class

handler = endpoint(get_class, response="learning:ClassOut")
