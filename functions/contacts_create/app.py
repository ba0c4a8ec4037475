"""POST /api/contacts"""

from activity_tracker.api import endpoint
from activity_tracker.logic.contacts import create_contact
from activity_tracker.models.contact import ContactCreate, ContactOut

handler = endpoint(create_contact, status=201, body=ContactCreate, response=ContactOut)
