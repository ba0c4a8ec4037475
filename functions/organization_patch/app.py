"""PATCH /api/organization"""

from activity_tracker.api import endpoint
from activity_tracker.logic.organization import patch_organization
from activity_tracker.models.organization import OrganizationOut, OrganizationPatch

handler = endpoint(patch_organization, body=OrganizationPatch, response=OrganizationOut)
