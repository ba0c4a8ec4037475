"""GET /api/classes"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import list_classes
from activity_tracker.models.learning import ClassListQuery, ClassPage

handler = endpoint(list_classes, query=ClassListQuery, response=ClassPage)
