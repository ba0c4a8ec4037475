"""GET /api/organization"""

from activity_tracker.api import endpoint
from activity_tracker.logic.organization import get_organization

handler = endpoint(get_organization, response="organization:OrganizationOut")
