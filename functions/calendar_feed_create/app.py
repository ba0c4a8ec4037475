"""POST /api/calendar/feed"""

from activity_tracker.api import endpoint
from activity_tracker.logic.calendar_feed import create_feed

handler = endpoint(create_feed, status=201, response="calendar:CalendarFeedCreated")
