"""GET /api/stats/me"""

from activity_tracker.api import endpoint
from activity_tracker.logic.stats import my_stats

handler = endpoint(my_stats, query="stats:StatsQuery", response="stats:MyStats")
