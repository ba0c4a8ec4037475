"""GET /api/tasks"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import list_tasks
from activity_tracker.models.learning import TaskListQuery, TaskPage

handler = endpoint(list_tasks, query=TaskListQuery, response=TaskPage)
