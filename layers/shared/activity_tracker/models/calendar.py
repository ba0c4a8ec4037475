"""Calendars: the import's query and answer, the feed's answer (API.md, Calendars)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from activity_tracker.models.activity import ActivityWarning
from activity_tracker.models.base import QueryModel, ResponseModel, Timestamp

ImportOutcome = Literal["created", "updated", "existing", "deleted", "skipped"]


class CalendarImportQuery(QueryModel):
    dry_run: bool = Field(False, description="true: answer what an import would do, and write nothing.")


class CalendarEventOutcome(ResponseModel):
    """What the import did with one event, or one occurrence of a recurring event."""

    uid: str = Field(description="The event's UID (\"\" when it has none).")
    recurrence_id: str | None = Field(description="The occurrence's original start (RFC 5545 form, UTC with Z, floating, or a date); null for a single event.")
    summary: str | None
    start: str | None = Field(description="When it starts: a date (all-day), a local date-time (floating) or UTC with Z; null when unreadable.")
    outcome: ImportOutcome = Field(description="created | updated (moved or lengthened, still under_review) | existing (imported before, unchanged) | deleted (cancelled, still under_review) | skipped (see rule).")
    activity_id: str | None = Field(description="The activity this occurrence is (or, in a dry run, null for one not created yet).")
    activity_type: str | None = Field(description="The activity type the organization's calendar_activity_types gives it.")
    rule: str | None = Field(description="Why it was skipped (or why an existing activity was left unchanged): a rule name, as in error details.")
    message: str | None
    warnings: list[ActivityWarning] = Field(description="As for POST /api/activities (suspected duplicates).")


class CalendarImportResult(ResponseModel):
    """Every event of the file, in file order (a recurring event: its occurrences in the window, oldest first)."""

    dry_run: bool
    counts: dict[ImportOutcome, int] = Field(description="How many occurrences had each outcome.")
    results: list[CalendarEventOutcome]


class CalendarFeedCreated(ResponseModel):
    """The new secret feed URL: shown once (only its hash is stored). Any earlier URL stops working."""

    url: str = Field(description="Subscribe to it in a calendar app; anyone with it reads the feed, so keep it secret.")
    created_at: Timestamp
