"""POST /api/calendar/import"""

from activity_tracker.api import endpoint
from activity_tracker.logic.calendar_import import import_calendar

handler = endpoint(import_calendar, query="calendar:CalendarImportQuery", response="calendar:CalendarImportResult", media_types={"request": "text/calendar"})
