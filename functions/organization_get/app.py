"""GET /api/organization"""

from activity_tracker.api import endpoint
from activity_tracker.logic.organization import get_organization
from activity_tracker.models.organization import OrganizationOut

handler = endpoint(get_organization, response=OrganizationOut)
