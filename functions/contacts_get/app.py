"""GET /api/contacts/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.contacts import get_contact
from activity_tracker.models.contact import ContactOut

handler = endpoint(get_contact, response=ContactOut)
