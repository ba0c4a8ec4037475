"""GET /api/tasks"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import list_tasks

handler = endpoint(list_tasks, query="learning:TaskListQuery", response="learning:TaskPage")
