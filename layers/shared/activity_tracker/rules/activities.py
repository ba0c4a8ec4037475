"""The rules of API.md's Activities section, as pure functions over plain values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from activity_tracker.clock import iso
from activity_tracker.errors import Conflict, ValidationFailed

CLOCK_SKEW = timedelta(minutes=5)

# API.md's review transition table: (status, action) -> new status.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("under_review", "approve"): "approved",
    ("under_review", "flag"): "flagged",
    ("under_review", "reject"): "rejected",
    ("flagged", "approve"): "approved",
    ("flagged", "reject"): "rejected",
    ("flagged", "reopen"): "under_review",
    ("approved", "reopen"): "under_review",
    ("rejected", "reopen"): "under_review",
}
REASON_REQUIRED = frozenset({"flag", "reject"})


def detail(field: str, rule: str, message: str) -> dict[str, str]:
    return {"field": field, "rule": rule, "message": message}


@dataclass(frozen=True)
class ActivityMoment:
    activity_date: str  # ISO 8601 UTC with Z
    local_date: str  # YYYY-MM-DD in the organization's time zone
    utc: datetime


def resolve_activity_date(raw: str, timezone: str) -> ActivityMoment:
    """`YYYY-MM-DD` is that day in the organization's time zone (stored as its local midnight);
    a date-time with `Z` or an offset is that instant; a date-time without one is local time."""
    zone = ZoneInfo(timezone)
    try:
        if len(raw) == 10:
            local = datetime.combine(date.fromisoformat(raw), time(0, 0), tzinfo=zone)
        else:
            parsed = datetime.fromisoformat(raw)
            local = parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed.astimezone(zone)
        utc = local.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset that moves it past year 1 or 9999
        raise ValidationFailed("The request is not valid.", [detail("activity_date", "activity_date_valid", "activity_date must be YYYY-MM-DD or an ISO 8601 date-time")]) from None
    if local.year < 2000:
        raise ValidationFailed("The request is not valid.", [detail("activity_date", "activity_date_valid", "activity_date must be in the year 2000 or later")])
    return ActivityMoment(iso(utc), local.date().isoformat(), utc)


def validate(state: dict[str, Any], moment: ActivityMoment, now: datetime) -> None:
    """The cross-field rules on an activity's resulting state (after defaults or a patch)."""
    problems = []
    if moment.utc > now + CLOCK_SKEW:
        problems.append(detail("activity_date", "activity_date_not_in_future", "activity_date is in the future"))
    count = state.get("participant_count")
    if state.get("is_group_activity"):
        if count is None or count < 2:
            problems.append(detail("participant_count", "group_activity_requires_participant_count", "a group activity needs participant_count of at least 2"))
    elif count is not None:
        problems.append(detail("participant_count", "group_activity_requires_participant_count", "participant_count is only for group activities (is_group_activity true)"))
    if state.get("registration_mode") == "wizard" and not (state.get("summary") or "").strip():
        problems.append(detail("summary", "summary_required_for_wizard_registration", "a wizard registration needs a summary"))
    if problems:
        raise ValidationFailed("The activity breaks a rule.", problems)


def bufdir_eligible(state: Mapping[str, Any], categories: Mapping[str, str | None], is_test_organization: bool) -> bool:
    """Whether the activity counts for Bufdir (API.md's business rules)."""
    if is_test_organization or state.get("bufdir_excluded"):
        return False
    category = categories.get(state["activity_type"])
    if category is None:
        return False
    duration = int(state["duration_minutes"])
    if category == "group" and (int(state.get("participant_count") or 0) < 3 or duration < 45):
        return False
    return not (category == "peer_course" and duration < 90)


def review(status: str, action: str, reason: str | None) -> str:
    """The status after `action`, or 409 invalid_transition / 400 review_fields_consistent."""
    new_status = TRANSITIONS.get((status, action))
    if new_status is None:
        raise Conflict(f"An activity that is {status} cannot be {action}d here.", [detail("action", "invalid_transition", f"{status} does not allow {action}")], code="invalid_transition")
    has_reason = bool(reason and reason.strip())
    if action in REASON_REQUIRED and not has_reason:
        raise ValidationFailed("A reason is required.", [detail("reason", "review_fields_consistent", f"{action} needs a reason")])
    if action not in REASON_REQUIRED and reason is not None:
        raise ValidationFailed("No reason here.", [detail("reason", "review_fields_consistent", f"{action} takes no reason (it clears rejection_reason)")])
    return new_status


def local_day_window(local_date: str, days: int) -> tuple[str, str]:
    """The local dates `days` before and after `local_date`, within the calendar (0001-01-01 ..
    9999-12-31: a window at its ends stops there instead of overflowing)."""
    day = date.fromisoformat(local_date)
    span = timedelta(days=days)
    first = day - span if day - date.min >= span else date.min
    last = day + span if date.max - day >= span else date.max
    return first.isoformat(), last.isoformat()
