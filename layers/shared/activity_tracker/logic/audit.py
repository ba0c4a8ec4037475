"""The audit trail's routes: `GET /api/activities/{id}/history` (whoever may read the activity) and
`GET /api/audit` (admins). The entries are written by the stream consumer (stream/audit.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from activity_tracker import keys
from activity_tracker.access import require_role
from activity_tracker.api import Request
from activity_tracker.clock import now
from activity_tracker.errors import rule_violation
from activity_tracker.pagination import SortRange, check_date_range, collect, cursor_partition, decode_cursor
from activity_tracker.repository import audit as repo
from activity_tracker.settings import get_settings

if TYPE_CHECKING:  # request models load with the request that needs them
    from activity_tracker.models.audit import AuditQuery, HistoryQuery

DEFAULT_DAYS = 30


def retained_since() -> str:
    """The first UTC day still within the audit retention: older entries are not shown (TTL
    deletes them within days of their `expires_at`; until then they are hidden)."""
    return (now().date() - timedelta(days=get_settings().audit_retention_days)).isoformat()


def _days_before(day: str, days: int) -> str:
    try:
        return (date.fromisoformat(day) - timedelta(days=days)).isoformat()
    except OverflowError:  # near the calendar's start
        return date.min.isoformat()


def _key(item: dict[str, Any]) -> dict[str, str]:
    return {"pk": item["pk"], "sk": item["sk"]}


def activity_history(request: Request, user: Any) -> dict[str, Any]:
    from activity_tracker.logic.activities import readable_activity

    query: HistoryQuery = request.params
    activity = readable_activity(request, user, include_deleted=query.include_deleted)  # GET /api/activities/{id}'s access
    partition = keys.activity_pk(request.caller.org_id, activity.id)
    low, high = repo.history_range(retained_since())
    start = decode_cursor(query.cursor, ("pk", "sk"), ("pk", partition), ("sk", SortRange(low=low, high=high)))
    items, cursor = collect(repo.history(request.caller.org_id, activity.id, retained_since(), query.limit, start), query.limit, _key)
    return {"items": [repo.entry_dto(item) for item in items], "next_cursor": cursor}


def organization_audit(request: Request, user: Any) -> dict[str, Any]:
    require_role(user, {"admin"}, "read the audit trail")
    query: AuditQuery = request.params
    last = query.to or now().date().isoformat()
    first = query.from_ or _days_before(last, DEFAULT_DAYS)
    check_date_range(first, last)
    low, high = max(first, retained_since()), last + "~"  # sort keys start with the entry's ISO time
    org_id = request.caller.org_id
    start = None
    if query.cursor:
        partition = cursor_partition(query.cursor) or ""
        month = partition.removeprefix(keys.audit_prefix(org_id))
        if not partition.startswith(keys.audit_prefix(org_id)) or not low[:7] <= month <= high[:7]:
            raise rule_violation("query.cursor", "cursor_invalid", "The cursor is not one this list gave out.")
        start = decode_cursor(query.cursor, ("pk", "sk"), ("pk", partition), ("sk", SortRange(low=low, high=high)))
    if low > high:  # the whole range is past the retention
        return {"items": [], "next_cursor": None}
    found = repo.of_organization(org_id, low, high, actor=query.actor, entity=query.entity, limit=query.limit, start=start)
    items, cursor = collect(found, query.limit, _key)
    return {"items": [repo.entry_dto(item) for item in items], "next_cursor": cursor}
