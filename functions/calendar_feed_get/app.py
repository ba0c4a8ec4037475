"""GET /api/calendar/feed/{token} (public: no authorizer; the token is the key)"""

from activity_tracker.api import endpoint
from activity_tracker.logic.calendar_feed import get_feed

handler = endpoint(get_feed, public=True, media_types={"response": "text/calendar"})
