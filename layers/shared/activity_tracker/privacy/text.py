"""Removing the free text of an activity and of its home-visit reports, without touching anything
that is counted: statistics and Bufdir figures read the activity's date, type, duration, status,
participants and owner, never its text, so the stream consumer's deltas of such a write are empty.

Used by erasure (a person's activities, a contact's activities) and by retention (activities older
than the organization's limit). Idempotent: an activity without text is not written again."""

from __future__ import annotations

from typing import Any

from activity_tracker import keys
from activity_tracker.clock import now_iso

ACTIVITY_TEXT_FIELDS = ("summary", "rejection_reason", "calendar_event_uid")  # free text a person typed (a calendar UID may hold an address)
REPORT_TEXT_REMOVED = ""  # a report's `content` once removed: the report stays (has_home_visit_report is a fact Bufdir rows show)
ATTEMPTS = 5


def has_text(activity: dict[str, Any]) -> bool:
    """Whether an activity (a plain dict of its stored attributes) may still hold text to remove."""
    return any(activity.get(name) for name in ACTIVITY_TEXT_FIELDS) or bool(activity.get("has_home_visit_report"))


def remove_activity_text(org_id: str, activity_id: str, *, actor: str) -> dict[str, int]:
    """Remove the activity's free text (one write with its version condition; `version` and the
    change stamp move, so devices pull the text's removal) and its reports' content. Returns what
    changed: {"activities": 0|1, "reports": n}. `actor` is the audit trail's who."""
    from activity_tracker.repository import activities as repo
    from activity_tracker.repository.table import wait_before_retry

    changed = {"activities": 0, "reports": 0}
    for attempt in range(ATTEMPTS):
        item = repo.get(org_id, activity_id)
        if item is None:
            return changed
        old = repo.state_of(item)
        if item.has_home_visit_report:
            changed["reports"] = remove_report_text(org_id, activity_id)
        if not any(old.get(name) for name in ACTIVITY_TEXT_FIELDS):
            return changed
        new = {**old, **dict.fromkeys(ACTIVITY_TEXT_FIELDS), "version": int(old["version"]) + 1, "updated_at": now_iso()}
        try:
            repo.write(new, old, actor=actor)
            changed["activities"] = 1
            return changed
        except repo.WriteRefused:  # changed meanwhile (an edit, a review): read it again
            wait_before_retry(attempt)
    raise RuntimeError(f"activity {activity_id} kept changing while its text was removed")


def remove_report_text(org_id: str, activity_id: str) -> int:
    """Blank the content of the activity's home-visit reports (`ORG#o#ACT#id / REPORT#*`)."""
    from pynamodb.exceptions import UpdateError

    from activity_tracker.repository.activities import HomeVisitReportItem

    removed = 0
    for report in HomeVisitReportItem.query(keys.activity_pk(org_id, activity_id), HomeVisitReportItem.sk.startswith("REPORT#"), consistent_read=True):
        if report.content == REPORT_TEXT_REMOVED:
            continue
        try:
            report.update(actions=[HomeVisitReportItem.content.set(REPORT_TEXT_REMOVED)], condition=HomeVisitReportItem.content != REPORT_TEXT_REMOVED)
            removed += 1
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
    return removed


def add(counts: dict[str, int], more: dict[str, int]) -> None:
    for name, value in more.items():
        if value:
            counts[name] = counts.get(name, 0) + value
