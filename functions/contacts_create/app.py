"""POST /api/contacts"""

from activity_tracker.api import endpoint
from activity_tracker.logic.contacts import create_contact

handler = endpoint(create_contact, status=201, body="contact:ContactCreate", response="contact:ContactOut")
