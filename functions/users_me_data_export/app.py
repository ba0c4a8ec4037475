"""POST /api/users/me/data-export"""

from activity_tracker.api import endpoint
from activity_tracker.logic.privacy import request_my_data_export

handler = endpoint(request_my_data_export, status=202, response="privacy:PrivacyJobQueued")
