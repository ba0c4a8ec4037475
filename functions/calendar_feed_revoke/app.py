"""DELETE /api/calendar/feed"""

from activity_tracker.api import endpoint
from activity_tracker.logic.calendar_feed import revoke_feed

handler = endpoint(revoke_feed, status=204)
