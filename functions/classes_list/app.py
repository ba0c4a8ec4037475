"""GET /api/classes"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import list_classes

handler = endpoint(list_classes, query="learning:ClassListQuery", response="learning:ClassPage")
