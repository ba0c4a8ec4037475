"""GET /api/stats/organization"""

from activity_tracker.api import endpoint
from activity_tracker.logic.stats import organization_stats
from activity_tracker.models.stats import OrganizationStats, StatsQuery

handler = endpoint(organization_stats, query=StatsQuery, response=OrganizationStats)
