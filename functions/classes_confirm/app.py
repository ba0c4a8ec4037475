"""POST /api/classes/{id}/confirm"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import confirm_class

handler = endpoint(confirm_class, response="learning:ClassOut")
