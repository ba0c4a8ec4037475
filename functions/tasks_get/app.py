"""GET /api/tasks/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import get_task

handler = endpoint(get_task, response="learning:TaskOut")
