"""POST /api/contacts/{id}/erase"""

from activity_tracker.api import endpoint
from activity_tracker.logic.privacy import erase_contact

handler = endpoint(erase_contact, status=202, response="privacy:PrivacyJobQueued")
