"""PATCH /api/organization"""

from activity_tracker.api import endpoint
from activity_tracker.logic.organization import patch_organization

handler = endpoint(patch_organization, body="organization:OrganizationPatch", response="organization:OrganizationOut")
