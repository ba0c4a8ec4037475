"""GET /api/tasks/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import get_task
from activity_tracker.models.learning import TaskOut

handler = endpoint(get_task, response=TaskOut)
