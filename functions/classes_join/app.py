"""POST /api/classes/{id}/join"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import join_class

handler = endpoint(join_class, response="learning:ClassOut")
