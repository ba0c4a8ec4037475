"""The subscribable feed as an iCalendar file (written by `icalendar`): a user's classes and
logged activities. Deterministic: the same items give the same bytes (the feed's ETag hashes them).

- UIDs are stable: `class-<id>@activity-tracker`, `activity-<id>@activity-tracker`.
- SEQUENCE grows with every change: an activity's `version` - 1; a class's seconds from
  `created_at` to `updated_at` (a class has no version; every change moves `updated_at`).
- DTSTAMP and LAST-MODIFIED are the item's `updated_at` (not the time of the request, which would
  change the bytes of every poll).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

CLASS_MINUTES = 60  # a class has a start, not a length
CLASS_STATUS = {"pending": "TENTATIVE", "scheduled": "CONFIRMED", "completed": "CONFIRMED", "cancelled": "CANCELLED"}
ACTIVITY_LABELS = {"home_visit": "Home visit", "phone_call": "Phone call", "meeting": "Meeting", "group_activity": "Group activity", "course": "Course", "other": "Activity"}
PRODID = "-//activity-tracker//calendar feed//EN"


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _sequence_of_class(klass: Any) -> int:
    return max(0, int((_instant(klass.updated_at) - _instant(klass.created_at)).total_seconds()))


def render(classes: Iterable[Any], activities: Iterable[Any], *, user_id: str, name: str = "Activity tracker") -> str:
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for klass in sorted(classes, key=lambda c: (c.scheduled_at, c.id)):
        event = Event()
        event.add("uid", f"class-{klass.id}@activity-tracker")
        event.add("dtstamp", _instant(klass.updated_at))
        event.add("dtstart", _instant(klass.scheduled_at))
        event.add("duration", timedelta(minutes=CLASS_MINUTES))
        event.add("summary", klass.title or ("Class" if klass.class_type == "grupal" else "Individual class"))
        event.add("description", f"{'You host this class' if klass.host_id == user_id else 'You joined this class'}; status {klass.status}.")
        event.add("status", CLASS_STATUS.get(klass.status, "TENTATIVE"))
        event.add("sequence", _sequence_of_class(klass))
        event.add("created", _instant(klass.created_at))
        event.add("last-modified", _instant(klass.updated_at))
        event.add("categories", ["Class"])
        calendar.add_component(event)
    for activity in sorted(activities, key=lambda a: (a.activity_date, a.id)):
        event = Event()
        label = ACTIVITY_LABELS.get(activity.activity_type, "Activity")
        event.add("uid", f"activity-{activity.id}@activity-tracker")
        event.add("dtstamp", _instant(activity.updated_at))
        event.add("dtstart", _instant(activity.activity_date))
        event.add("duration", timedelta(minutes=int(activity.duration_minutes)))
        event.add("summary", f"{label}: {activity.summary}" if activity.summary else label)
        event.add("description", f"Logged activity; status {activity.status}.")
        event.add("status", "CONFIRMED")
        event.add("sequence", max(0, int(activity.version) - 1))
        event.add("created", _instant(activity.created_at))
        event.add("last-modified", _instant(activity.updated_at))
        event.add("categories", ["Activity", label])
        calendar.add_component(event)
    return str(calendar.to_ical().decode("utf-8"))
