"""POST /api/tasks"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import create_task
from activity_tracker.models.learning import TaskCreate, TaskOut

handler = endpoint(create_task, status=201, body=TaskCreate, response=TaskOut)
