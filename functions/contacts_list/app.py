"""GET /api/contacts"""

from activity_tracker.api import endpoint
from activity_tracker.logic.contacts import list_contacts
from activity_tracker.models.contact import ContactListQuery, ContactPage

handler = endpoint(list_contacts, query=ContactListQuery, response=ContactPage)
