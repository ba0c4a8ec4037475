"""DELETE /api/contacts/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.contacts import delete_contact

handler = endpoint(delete_contact, status=204)
