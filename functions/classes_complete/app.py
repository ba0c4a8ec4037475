"""POST /api/classes/{id}/complete"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import complete_class

handler = endpoint(complete_class, response="learning:ClassOut")
