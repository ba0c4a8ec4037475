"""A calendar file read into one `Occurrence` per event, or per past occurrence of a recurring event.

Pure: no AWS, no clock (the caller passes `now`). Parsing is `icalendar`'s, recurrence expansion
(RRULE, RDATE, EXDATE, RECURRENCE-ID overrides) `recurring_ical_events`'; this module only bounds
what they are given and turns their answers into the values an activity needs.

Bounds (docs/decisions.md, Calendars): the body limit of every route (256 KiB), at most
`MAX_EVENTS` VEVENT components, components nested at most `MAX_DEPTH` deep, recurring events
expanded only inside the window [now - `WINDOW_DAYS`, now] and at most `MAX_OCCURRENCES`
occurrences in all; a series that would take more than `MAX_RECURRENCE_STEPS` steps of its rule
to reach the window's end (FREQ=SECONDLY, MINUTELY, HOURLY, or BYHOUR/BYMINUTE lists that make a
day hold many) is skipped with `calendar_recurrence_too_frequent` instead of expanded.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from activity_tracker.errors import PayloadTooLarge, ValidationFailed

MAX_EVENTS = 1_000
MAX_OCCURRENCES = 1_000
MAX_DEPTH = 4  # VCALENDAR > VEVENT > VALARM, and one more for what calendar apps add
WINDOW_DAYS = 90
MAX_RECURRENCE_STEPS = 100_000
MAX_DURATION = timedelta(days=1)
CLOCK_SKEW = timedelta(minutes=5)
SUMMARY_MAX_CHARS = 20_000  # ActivityFields.summary
UID_MAX_CHARS = 1024  # ActivityFields.calendar_event_uid
TOO_FREQUENT = frozenset({"SECONDLY", "MINUTELY", "HOURLY"})
STEPS_PER_DAY = {"DAILY": 1.0, "WEEKLY": 1 / 7, "MONTHLY": 1 / 28, "YEARLY": 1 / 365}


@dataclass
class Occurrence:
    """One event, or one occurrence of a recurring event, as an activity would take it."""

    uid: str
    recurrence_id: str  # "" for a single event; the occurrence's original start (RFC 5545 form) otherwise
    summary: str | None
    activity_date: str | None  # "YYYY-MM-DD" (all-day), a local date-time (floating), or UTC with Z
    start_utc: datetime | None
    duration_minutes: int | None  # None: the activity default (all-day, or no end)
    categories: list[str] = field(default_factory=list)
    attendees: int = 0  # attendees who did not decline
    cancelled: bool = False
    skip: tuple[str, str] | None = None  # (rule, message): never becomes an activity

    @property
    def key(self) -> tuple[str, str]:
        return self.uid, self.recurrence_id


def _detail(rule: str, message: str) -> list[dict[str, str]]:
    return [{"field": "body", "rule": rule, "message": message}]


def decode(data: bytes, content_type: str | None) -> str:
    """The file as text: UTF-8 (RFC 5545's default; a BOM is dropped), UTF-16 with its BOM, or the
    `charset` the Content-Type names. Anything that does not decode is 400 `calendar_charset`."""
    charset = "utf-8"
    match = re.search(r"charset\s*=\s*\"?([A-Za-z0-9._:-]+)", content_type or "", re.IGNORECASE)
    if match:
        charset = match.group(1)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        charset = "utf-16"
    try:
        codecs.lookup(charset)
        return data.decode(charset).removeprefix("\ufeff")
    except (LookupError, UnicodeDecodeError):
        raise ValidationFailed(
            "The calendar is not text in its charset.",
            _detail("calendar_charset", f"the body is not valid {charset}: send UTF-8, or name the file's charset in Content-Type (text/calendar; charset=...)"),
        ) from None


def _check_shape(text: str) -> None:
    """Before parsing: components nested at most MAX_DEPTH deep, at most MAX_EVENTS VEVENTs (413)."""
    depth = events = 0
    for line in text.splitlines():
        head = line[:6].upper()
        if head == "BEGIN:":
            depth += 1
            if depth > MAX_DEPTH:
                raise ValidationFailed("The calendar nests components too deep.", _detail("calendar_malformed", f"components may nest at most {MAX_DEPTH} deep (VCALENDAR > VEVENT > VALARM)"))
            if line[6:].strip().upper() == "VEVENT":
                events += 1
        elif line[:4].upper() == "END:":
            depth -= 1
    if events > MAX_EVENTS:
        raise PayloadTooLarge(f"A calendar import takes at most {MAX_EVENTS} events.", _detail("calendar_events_max", f"the file holds {events} events; split it (at most {MAX_EVENTS})"))


def _calendar(text: str) -> Any:
    from icalendar import Calendar

    if not text.strip():
        raise ValidationFailed("The calendar is empty.", _detail("calendar_malformed", "the body must be an iCalendar file (BEGIN:VCALENDAR ... END:VCALENDAR)"))
    _check_shape(text)
    try:
        calendar = Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError, TypeError, RecursionError) as error:
        raise ValidationFailed("The calendar cannot be read.", _detail("calendar_malformed", f"not an iCalendar file: {str(error)[:200]}")) from None
    if getattr(calendar, "name", None) != "VCALENDAR":
        raise ValidationFailed("The calendar cannot be read.", _detail("calendar_malformed", "the file must hold one VCALENDAR"))
    return calendar


def _text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:limit] or None


def _categories(event: Any) -> list[str]:
    raw = event.get("CATEGORIES")
    values = raw if isinstance(raw, list) else [raw] if raw is not None else []
    out: list[str] = []
    for value in values:
        cats = getattr(value, "cats", None)
        out.extend(str(c).strip() for c in (cats if cats is not None else str(value).split(",")) if str(c).strip())
    return out


def _attendees(event: Any, email: str) -> tuple[int, bool]:
    """(attendees who did not decline, whether `email` declined)."""
    raw = event.get("ATTENDEE")
    values = raw if isinstance(raw, list) else [raw] if raw is not None else []
    kept, declined = 0, False
    for value in values:
        status = str(getattr(value, "params", {}).get("PARTSTAT", "NEEDS-ACTION")).upper()
        address = str(value).strip().lower().removeprefix("mailto:")
        if status == "DECLINED":
            declined = declined or (bool(email) and address == email)
        else:
            kept += 1
    return kept, declined


def recurrence_key(value: Any) -> str:
    """A RECURRENCE-ID (or occurrence start) in RFC 5545 form: UTC `...Z`, floating, or a date."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") if value.tzinfo else value.strftime("%Y%m%dT%H%M%S")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    return ""


def _moment(value: Any, zone: ZoneInfo) -> datetime:
    """A DTSTART value as an aware datetime: all-day and floating ones in the organization's zone."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=zone).astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=zone).astimezone(UTC)


def _occurrence(event: Any, uid: str, recurrence_id: str, email: str, zone: ZoneInfo, now: datetime) -> Occurrence:
    kept, declined = _attendees(event, email)
    found = Occurrence(
        uid=uid, recurrence_id=recurrence_id, summary=_text(event.get("SUMMARY"), SUMMARY_MAX_CHARS), activity_date=None, start_utc=None,
        duration_minutes=None, categories=_categories(event), attendees=kept, cancelled=str(event.get("STATUS", "")).upper() == "CANCELLED",
    )  # fmt: skip
    try:
        start = event.start
        end = event.end
    except (ValueError, TypeError, KeyError, AttributeError):
        start = end = None
    if not isinstance(start, date):
        found.skip = ("calendar_event_invalid", "the event has no valid DTSTART")
        return found
    all_day = not isinstance(start, datetime)
    found.start_utc = _moment(start, zone)
    if not isinstance(start, datetime):
        found.activity_date = start.isoformat()
    elif start.tzinfo is None:
        found.activity_date = start.isoformat(timespec="seconds")  # floating: the organization's local time
    else:
        found.activity_date = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    length = (end - start) if isinstance(end, type(start)) and (isinstance(end, datetime) == isinstance(start, datetime)) else timedelta(0)
    if isinstance(start, datetime) and isinstance(end, datetime) and (start.tzinfo is None) != (end.tzinfo is None):
        length = timedelta(0)
    if length > MAX_DURATION:
        found.skip = ("calendar_event_longer_than_a_day", "events longer than a day are not activities")
    elif not all_day and length > timedelta(0):
        found.duration_minutes = max(1, round(length.total_seconds() / 60))
    if found.skip is None and declined:
        found.skip = ("calendar_event_declined", "you declined this event")
    if found.skip is None and found.start_utc > now + CLOCK_SKEW:
        found.skip = ("activity_date_not_in_future", "the event has not happened yet")
    return found


def _steps_to(event: Any, until: datetime, zone: ZoneInfo) -> float:
    """About how many steps of its RRULE a series takes from DTSTART to `until` (the expansion's cost)."""
    rule = event.get("RRULE")
    if rule is None:
        return 0
    rules = rule if isinstance(rule, list) else [rule]
    total = 0.0
    for one in rules:
        freq = str((one.get("FREQ") or [""])[0]).upper()
        if freq in TOO_FREQUENT:
            return float("inf")
        interval = max(1, int((one.get("INTERVAL") or [1])[0]))
        per_day = STEPS_PER_DAY.get(freq, 1.0) / interval
        for part in ("BYHOUR", "BYMINUTE", "BYSECOND", "BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS"):
            per_day *= max(1, len(one.get(part) or []))
        count = one.get("COUNT")
        days = max(0.0, (until - _moment(event.get("DTSTART").dt, zone)).total_seconds() / 86400)
        steps = days * per_day
        total += min(steps, float(count[0])) if count else steps
    return total


def read(data: bytes, content_type: str | None, *, timezone: str, email: str, now: datetime) -> list[Occurrence]:
    """Every event of the file as occurrences, in file order (a recurring event: its past occurrences
    in the window, in time order). File-level problems raise (400 / 413) before anything is written."""
    import recurring_ical_events

    calendar = _calendar(decode(data, content_type))
    zone = ZoneInfo(timezone)
    window_start, window_end = now - timedelta(days=WINDOW_DAYS), now + CLOCK_SKEW
    timezones = [c for c in calendar.subcomponents if c.name == "VTIMEZONE"]
    series: dict[str, list[Any]] = {}
    out: list[Occurrence] = []
    for event in (c for c in calendar.subcomponents if c.name == "VEVENT"):
        uid = _text(event.get("UID"), UID_MAX_CHARS + 1)
        if not uid or len(uid) > UID_MAX_CHARS:
            out.append(Occurrence(uid=uid or "", recurrence_id="", summary=_text(event.get("SUMMARY"), SUMMARY_MAX_CHARS), activity_date=None, start_utc=None, duration_minutes=None,
                                  skip=("calendar_event_uid_required", f"an event needs a UID of at most {UID_MAX_CHARS} characters to be imported once")))  # fmt: skip
            continue
        if any(sub.name != "VALARM" for sub in event.subcomponents):
            out.append(Occurrence(uid=uid, recurrence_id="", summary=_text(event.get("SUMMARY"), SUMMARY_MAX_CHARS), activity_date=None, start_utc=None, duration_minutes=None,
                                  skip=("calendar_event_nested_component", "an event may hold only VALARM components")))  # fmt: skip
            continue
        series.setdefault(uid, []).append(event)
    expanded = 0
    for uid, events in series.items():
        if not any(e.get("RRULE") is not None or e.get("RDATE") is not None for e in events):
            # single events: one, or instances of a series whose rule is not in the file (an invitation to
            # some occurrences), each by its own RECURRENCE-ID; the same one twice is caught by the import
            for event in events:
                original = event.get("RECURRENCE-ID")
                found = _occurrence(event, uid, recurrence_key(getattr(original, "dt", None)) if original is not None else "", email, zone, now)
                if found.skip is None and found.start_utc is not None and found.start_utc < window_start:
                    found.skip = ("calendar_event_outside_window", f"only events of the last {WINDOW_DAYS} days are imported")
                out.append(found)
            continue
        master = next((e for e in events if e.get("RECURRENCE-ID") is None), events[0])
        summary = _text(master.get("SUMMARY"), SUMMARY_MAX_CHARS)
        try:
            steps = max(_steps_to(e, window_end, zone) for e in events)
        except (ValueError, TypeError, AttributeError, KeyError, OverflowError):
            steps = -1.0
        if steps < 0:
            out.append(Occurrence(uid=uid, recurrence_id="", summary=summary, activity_date=None, start_utc=None, duration_minutes=None, skip=("calendar_event_invalid", "the recurring event cannot be read")))
            continue
        if steps > MAX_RECURRENCE_STEPS:
            out.append(Occurrence(uid=uid, recurrence_id="", summary=summary, activity_date=None, start_utc=None, duration_minutes=None,
                                  skip=("calendar_recurrence_too_frequent", "a recurring event that repeats more than daily (or over so many years) is not expanded")))  # fmt: skip
            continue
        from icalendar import Calendar

        single = Calendar()
        for component in [*timezones, *events]:
            single.add_component(component)
        try:
            instances = recurring_ical_events.of(single).between(window_start, window_end)
        except Exception:  # noqa: BLE001 - the library's errors on a broken series are of many kinds; the series is skipped with its rule
            out.append(Occurrence(uid=uid, recurrence_id="", summary=summary, activity_date=None, start_utc=None, duration_minutes=None, skip=("calendar_event_invalid", "the recurring event cannot be expanded")))
            continue
        if not instances:
            first = _occurrence(master, uid, "", email, zone, now)
            rule = first.skip if first.skip and first.skip[0] in ("calendar_event_invalid", "activity_date_not_in_future") else ("calendar_event_outside_window", f"no occurrence in the last {WINDOW_DAYS} days")
            out.append(Occurrence(uid=uid, recurrence_id="", summary=summary, activity_date=None, start_utc=None, duration_minutes=None, skip=rule))
            continue
        expanded += len(instances)
        if expanded > MAX_OCCURRENCES:
            raise PayloadTooLarge(
                f"A calendar import takes at most {MAX_OCCURRENCES} occurrences.",
                _detail("calendar_occurrences_max", f"the events of the last {WINDOW_DAYS} days expand to more than {MAX_OCCURRENCES} occurrences; split the file"),
            )
        for instance in sorted(instances, key=lambda e: _moment(e.start, zone)):
            original = instance.get("RECURRENCE-ID")
            out.append(_occurrence(instance, uid, recurrence_key(original.dt if original is not None else instance.start), email, zone, now))
    return out
