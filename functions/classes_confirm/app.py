"""POST /api/classes/{id}/confirm"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import confirm_class
from activity_tracker.models.learning import ClassOut

handler = endpoint(confirm_class, response=ClassOut)
