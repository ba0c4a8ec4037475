"""The calendar fixtures (tests/fixtures/calendars/*.ics), written as Google Calendar, Outlook and
Apple Calendar export them, all dated around `REFERENCE_NOW`. Unit tests read them as they are with
that `now`; handler and end-to-end tests, which run on the real clock, read them moved by whole weeks
(weekdays, so BYDAY rules, stay right) to the latest week that is not after today."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "calendars"
REFERENCE_NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday
_STAMP = re.compile(r"(?<![0-9])(20\d{6})(T\d{6}Z?)?(?![0-9])")


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def weeks_to_now(now: datetime | None = None) -> timedelta:
    days = ((now or datetime.now(UTC)) - REFERENCE_NOW).days
    return timedelta(weeks=days // 7)


def moved(text: str, shift: timedelta) -> str:
    """Every date and date-time of the years 2000+ in `text` moved by `shift`."""

    def move(match: re.Match[str]) -> str:
        day, time = match.group(1), match.group(2) or ""
        if time:
            moment = datetime.strptime(day + time.rstrip("Z"), "%Y%m%dT%H%M%S") + shift
            return moment.strftime("%Y%m%dT%H%M%S") + ("Z" if time.endswith("Z") else "")
        return (datetime.strptime(day, "%Y%m%d") + shift).strftime("%Y%m%d")

    return _STAMP.sub(move, text)


def current(name: str, now: datetime | None = None) -> bytes:
    """The fixture moved to the current week (see the module's docstring)."""
    return moved(fixture(name).decode("utf-8"), weeks_to_now(now)).encode("utf-8")


def in_utc_week(iso: str, now: datetime | None = None) -> str:
    """A date-time or date of REFERENCE_NOW's week in `current` fixtures' terms (ISO form, as stored)."""
    shift = weeks_to_now(now)
    if len(iso) == 10:
        return (datetime.fromisoformat(iso) + shift).date().isoformat()
    return (datetime.fromisoformat(iso.replace("Z", "+00:00")) + shift).strftime("%Y-%m-%dT%H:%M:%S.000Z")
