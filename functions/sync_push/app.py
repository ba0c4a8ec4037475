"""POST /api/sync/push"""

from activity_tracker.api import endpoint
from activity_tracker.logic.sync import push_changes
from activity_tracker.models.sync import PushAnswer, PushBody, PushQuery

handler = endpoint(push_changes, body=PushBody, query=PushQuery, response=PushAnswer)
