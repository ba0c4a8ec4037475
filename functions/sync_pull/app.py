"""GET /api/sync/pull"""

from activity_tracker.api import endpoint
from activity_tracker.logic.sync import pull_changes
from activity_tracker.models.sync import PullAnswer, PullQuery

handler = endpoint(pull_changes, query=PullQuery, response=PullAnswer)
