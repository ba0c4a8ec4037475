"""POST /api/tasks"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import create_task

handler = endpoint(create_task, status=201, body="learning:TaskCreate", response="learning:TaskOut")
