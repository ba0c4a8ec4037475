"""POST /api/users/{id}/data-export"""

from activity_tracker.api import endpoint
from activity_tracker.logic.privacy import request_user_data_export

handler = endpoint(request_user_data_export, status=202, response="privacy:PrivacyJobQueued")
