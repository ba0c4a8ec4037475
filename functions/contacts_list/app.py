"""GET /api/contacts"""

from activity_tracker.api import endpoint
from activity_tracker.logic.contacts import list_contacts

handler = endpoint(list_contacts, query="contact:ContactListQuery", response="contact:ContactPage")
