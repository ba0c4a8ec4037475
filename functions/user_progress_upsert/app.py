"""POST /api/user_progress"""

from activity_tracker.api import endpoint
from activity_tracker.logic.user_progress import upsert
from activity_tracker.models.user_progress import ProgressBody, ProgressOut

handler = endpoint(upsert, body=ProgressBody, response=ProgressOut)
