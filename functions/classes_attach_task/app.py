"""POST /api/classes/{id}/tasks"""

from activity_tracker.api import endpoint
from activity_tracker.logic.learning import attach_task

handler = endpoint(attach_task, body="learning:AttachTask", response="learning:ClassOut")
