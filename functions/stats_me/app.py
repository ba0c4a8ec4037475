"""GET /api/stats/me"""

from activity_tracker.api import endpoint
from activity_tracker.logic.stats import my_stats
from activity_tracker.models.stats import MyStats, StatsQuery

handler = endpoint(my_stats, query=StatsQuery, response=MyStats)
