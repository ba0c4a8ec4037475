"""POST /api/user_progress"""

from activity_tracker.api import endpoint
from activity_tracker.logic.user_progress import upsert

handler = endpoint(upsert, body="user_progress:ProgressBody", response="user_progress:ProgressOut")
