"""POST /api/classes"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import book_class
from activity_tracker.models.learning import ClassCreate, ClassOut

handler = endpoint(book_class, status=201, body=ClassCreate, response=ClassOut)
