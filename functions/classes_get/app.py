"""GET /api/classes/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import get_class
from activity_tracker.models.learning import ClassOut

handler = endpoint(get_class, response=ClassOut)
