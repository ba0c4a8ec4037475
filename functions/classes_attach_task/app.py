"""POST /api/classes/{id}/tasks"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import attach_task
from activity_tracker.models.learning import AttachTask, ClassOut

handler = endpoint(attach_task, body=AttachTask, response=ClassOut)
