"""PATCH /api/contacts/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.contacts import patch_contact

handler = endpoint(patch_contact, body="contact:ContactPatch", response="contact:ContactOut")
