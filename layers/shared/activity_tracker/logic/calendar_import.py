"""`POST /api/calendar/import`: a calendar file (.ics) becomes the caller's activities.

Each event (each past occurrence of a recurring one, in the window of `calendars.parse`) becomes
one activity through `logic.activities` (every rule of POST /api/activities applies, duplicates
included), idempotent on (user, UID, RECURRENCE-ID): a guard item per occurrence is written in the
activity's own transaction (`repository.calendars.event_guard`). Importing again creates nothing; an
occurrence moved or lengthened since updates its activity while that is still `under_review`;
a cancelled one soft-deletes it while still `under_review`. Every occurrence gets an outcome.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from activity_tracker import keys
from activity_tracker.api import Request, validated
from activity_tracker.clock import now
from activity_tracker.errors import Conflict, DomainError, NotFound, ValidationFailed
from activity_tracker.logic import activities
from activity_tracker.repository import activities as activity_items
from activity_tracker.repository import calendars, organizations
from activity_tracker.repository.batch import get_many
from activity_tracker.rules.activities import resolve_activity_date

if TYPE_CHECKING:
    from activity_tracker.calendars.parse import Occurrence
    from activity_tracker.models.calendar import CalendarImportQuery

DEFAULT_ACTIVITY_TYPE = "meeting"


def activity_type_for(occurrence: Occurrence, mapping: dict[str, str]) -> str:
    """The organization's `calendar_activity_types`: a keyword equal to one of the event's
    CATEGORIES (case-insensitive) first, else one contained in its SUMMARY, in the map's order;
    else `meeting`."""
    categories = {c.casefold() for c in occurrence.categories}
    for keyword, activity_type in mapping.items():
        if keyword.casefold() in categories:
            return activity_type
    summary = (occurrence.summary or "").casefold()
    for keyword, activity_type in mapping.items():
        if keyword.casefold() in summary:
            return activity_type
    return DEFAULT_ACTIVITY_TYPE


def _body(request: Request) -> bytes:
    raw = request.event.get("body") or ""
    try:
        return base64.b64decode(raw, validate=True) if request.event.get("isBase64Encoded") else raw.encode("utf-8", "surrogatepass")
    except (binascii.Error, ValueError):
        raise ValidationFailed("The body is not valid base64.", [{"field": "body", "rule": "calendar_malformed", "message": "the body is not valid base64"}]) from None


def _outcome(occurrence: Occurrence, outcome: str, *, activity_id: str | None = None, activity_type: str | None = None, rule: str | None = None, message: str | None = None,
             warnings: list[dict[str, str]] | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "uid": occurrence.uid, "recurrence_id": occurrence.recurrence_id or None, "summary": occurrence.summary, "start": occurrence.activity_date,
        "outcome": outcome, "activity_id": activity_id, "activity_type": activity_type, "rule": rule, "message": message, "warnings": warnings or [],
    }  # fmt: skip


def _refused(occurrence: Occurrence, error: DomainError, activity_type: str | None, activity_id: str | None = None) -> dict[str, Any]:
    first = error.details[0] if error.details else {}
    return _outcome(occurrence, "skipped", activity_id=activity_id, activity_type=activity_type, rule=first.get("rule") or error.code, message=first.get("message") or error.message)


class _Import:
    def __init__(self, request: Request, user: Any, org: Any, dry_run: bool):
        self.org_id, self.user, self.org, self.dry_run = request.caller.org_id, user, org, dry_run
        self.mapping: dict[str, str] = dict(org.calendar_activity_types or {})

    def run(self, occurrences: list[Occurrence]) -> list[dict[str, Any]]:
        importable = [o for o in occurrences if o.skip is None]
        known = calendars.imported(self.org_id, self.user.id, [o.key for o in importable])
        stored = get_many([(activity_items.ActivityItem, keys.activity_pk(self.org_id, aid), keys.ACTIVITY_SK) for aid in set(known.values())])
        self.items = {item.id: item for item in stored.values()}
        self.known = known
        seen: set[tuple[str, str]] = set()
        results: list[dict[str, Any] | None] = []
        pending: list[tuple[int, Occurrence]] = []
        for occurrence in occurrences:
            if occurrence.skip is not None:
                rule, message = occurrence.skip
                results.append(_outcome(occurrence, "skipped", rule=rule, message=message))
            elif occurrence.key in seen:  # the file lists the same occurrence twice: the first one counts
                results.append(_outcome(occurrence, "skipped", rule="calendar_event_repeated", message="the file holds this event (UID and RECURRENCE-ID) more than once"))
            else:
                seen.add(occurrence.key)
                pending.append((len(results), occurrence))
                results.append(None)
        for index, answer in _each(self.one, pending):
            results[index] = answer
        return [r for r in results if r is not None]

    def one(self, occurrence: Occurrence) -> dict[str, Any]:
        activity_type = activity_type_for(occurrence, self.mapping)
        activity_id = self.known.get(occurrence.key)
        item = self.items.get(activity_id) if activity_id else None
        try:
            if occurrence.cancelled:
                return self.cancel(occurrence, item, activity_type)
            if item is not None:
                return self.update(occurrence, item, activity_type)
            return self.create(occurrence, activity_type)
        except DomainError as error:
            return _refused(occurrence, error, activity_type, item.id if item is not None else None)

    def cancel(self, occurrence: Occurrence, item: Any, activity_type: str) -> dict[str, Any]:
        if item is None:
            return _outcome(occurrence, "skipped", activity_type=activity_type, rule="calendar_event_cancelled", message="the event is cancelled and was never imported")
        if item.deleted_at:
            return _outcome(occurrence, "existing", activity_id=item.id, activity_type=item.activity_type)
        if item.status != "under_review":
            return _locked(occurrence, item)
        if not self.dry_run:
            activities.soft_delete(self.user, item)
        return _outcome(occurrence, "deleted", activity_id=item.id, activity_type=item.activity_type)

    def update(self, occurrence: Occurrence, item: Any, activity_type: str) -> dict[str, Any]:
        if item.deleted_at:
            return _outcome(occurrence, "skipped", activity_id=item.id, activity_type=item.activity_type, rule="calendar_activity_deleted", message="the activity imported from this event was deleted")
        moment = resolve_activity_date(occurrence.activity_date or "", self.org.timezone)
        duration = occurrence.duration_minutes or activities.DEFAULT_DURATION_MINUTES
        if moment.activity_date == item.activity_date and duration == int(item.duration_minutes):
            return _outcome(occurrence, "existing", activity_id=item.id, activity_type=item.activity_type)
        if item.status != "under_review":
            return _locked(occurrence, item)
        if not self.dry_run:
            patch = validated("activity:ActivityPatch", {"activity_date": occurrence.activity_date, "duration_minutes": duration, "version": int(item.version)})
            item = activities.edit_activity(self.org_id, self.user, item, patch)
        return _outcome(occurrence, "updated", activity_id=item.id, activity_type=item.activity_type)

    def create(self, occurrence: Occurrence, activity_type: str) -> dict[str, Any]:
        group = activity_type == "group_activity"
        fields = {
            "activity_date": occurrence.activity_date, "duration_minutes": occurrence.duration_minutes, "activity_type": activity_type,
            "summary": occurrence.summary, "is_group_activity": group, "participant_count": occurrence.attendees if group else None,
            "calendar_event_uid": occurrence.uid,
        }  # fmt: skip
        body = validated("activity:ActivityCreate", {name: value for name, value in fields.items() if value is not None})  # None: the create default
        if self.dry_run:
            activities.preview(self.org, self.user, body)
            return _outcome(occurrence, "created", activity_type=activity_type)

        def guard(activity_id: str) -> Any:
            return calendars.event_guard(self.org_id, self.user.id, occurrence.uid, occurrence.recurrence_id, activity_id)

        try:
            item, warnings, _ = activities.register(self.org_id, self.user, body, org=self.org, guard=guard)
        except Conflict as error:
            if error.code != "conflict":
                raise
            # a concurrent import of the same file wrote this occurrence's guard first
            holder = calendars.imported(self.org_id, self.user.id, [occurrence.key]).get(occurrence.key)
            return _outcome(occurrence, "existing", activity_id=holder, activity_type=activity_type)
        return _outcome(occurrence, "created", activity_id=item.id, activity_type=activity_type, warnings=warnings)


WRITERS = 8  # occurrences written at once: each is its own transaction, so their round trips overlap (botocore's pool holds 10)


def _each(work: Callable[[Occurrence], dict[str, Any]], pending: list[tuple[int, Occurrence]]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, work(occurrence)) for each pending occurrence, `WRITERS` at a time. Each runs in a copy
    of the caller's context (the request's context variables: its logger's correlation id, and
    locally the IAM check of the function that runs it)."""
    if len(pending) <= 1:
        yield from ((index, work(occurrence)) for index, occurrence in pending)
        return
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        futures = [(index, pool.submit(contextvars.copy_context().run, work, occurrence)) for index, occurrence in pending]
        for index, future in futures:
            yield index, future.result()


def _locked(occurrence: Occurrence, item: Any) -> dict[str, Any]:
    return _outcome(
        occurrence, "skipped", activity_id=item.id, activity_type=item.activity_type, rule="calendar_update_requires_under_review",
        message=f"the event changed, but its activity is {item.status}: only an activity under review follows its calendar event",
    )  # fmt: skip


def import_calendar(request: Request, user: Any) -> dict[str, Any]:
    """Import a calendar file (.ics, text/calendar): one activity per event, idempotent per event."""
    from activity_tracker.calendars import parse

    query: CalendarImportQuery = request.params
    org = organizations.get(request.caller.org_id)
    if org is None:
        raise NotFound("organization")
    headers = {str(k).lower(): str(v) for k, v in (request.event.get("headers") or {}).items()}
    occurrences = parse.read(_body(request), headers.get("content-type"), timezone=org.timezone, email=request.caller.email, now=now())
    results = _Import(request, user, org, query.dry_run).run(occurrences)
    counts = Counter(r["outcome"] for r in results)
    return {"dry_run": query.dry_run, "counts": {name: counts.get(name, 0) for name in ("created", "updated", "existing", "deleted", "skipped")}, "results": results}
