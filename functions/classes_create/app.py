"""POST /api/classes"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import book_class

handler = endpoint(book_class, status=201, body="learning:ClassCreate", response="learning:ClassOut")
