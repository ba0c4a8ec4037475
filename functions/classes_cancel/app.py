"""POST /api/classes/{id}/cancel"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import cancel_class

handler = endpoint(cancel_class, response="learning:ClassOut")
