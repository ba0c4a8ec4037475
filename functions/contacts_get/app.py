"""GET /api/contacts/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.contacts import get_contact

handler = endpoint(get_contact, response="contact:ContactOut")
