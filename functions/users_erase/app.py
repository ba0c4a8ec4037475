"""POST /api/users/{id}/erase"""

from activity_tracker.api import endpoint
from activity_tracker.logic.privacy import erase_user

handler = endpoint(erase_user, status=202, response="privacy:PrivacyJobQueued")
