"""GET /api/stats/organization"""

from activity_tracker.api import endpoint
from activity_tracker.logic.stats import organization_stats

handler = endpoint(organization_stats, query="stats:StatsQuery", response="stats:OrganizationStats")
