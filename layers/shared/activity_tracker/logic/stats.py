"""`/api/stats`: monthly statistics read from the counters the stream consumer keeps (one
BatchGetItem of twelve counter items; never a Scan or a Query over activities)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from activity_tracker import keys
from activity_tracker.access import require_role
from activity_tracker.api import Request
from activity_tracker.repository.table import TABLE_NAME, connection, plain_item
from activity_tracker.stream.deltas import stats_sk
from activity_tracker.vocabulary import REVIEWER_ROLES

if TYPE_CHECKING:  # request models load with the request that needs them
    from activity_tracker.models.stats import StatsQuery


def _months(pk: str, year: int) -> dict[str, dict[str, Any]]:
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    request: dict[str, Any] = {TABLE_NAME: {"Keys": [{"pk": {"S": pk}, "sk": {"S": stats_sk(m)}} for m in months], "ConsistentRead": True}}
    found: dict[str, dict[str, Any]] = {}
    while request:
        response = connection().client.batch_get_item(RequestItems=request)
        for raw in response.get("Responses", {}).get(TABLE_NAME, []):
            item = plain_item(raw) or {}
            found[item["sk"].split("#", 1)[1]] = item
        request = response.get("UnprocessedKeys") or {}
    return {month: found.get(month, {}) for month in months}


def _month(month: str, counter: dict[str, Any], *, organization: bool) -> dict[str, Any]:
    out = {
        "month": month,
        "activity_count": int(counter.get("activity_count", 0)),
        "duration_minutes": int(counter.get("duration_minutes", 0)),
        "by_type": {name[5:]: int(v) for name, v in sorted(counter.items()) if name.startswith("type_") and v},
    }
    if organization:
        out["active_users"] = int(counter.get("active_users", 0))
    return out


def _year(request: Request, timezone: str | None) -> int:
    query: StatsQuery = request.params
    return query.year or datetime.now(ZoneInfo(timezone or "Europe/Oslo")).year


def my_stats(request: Request, user: Any) -> dict[str, Any]:
    year = _year(request, None if request.params.year else _timezone(request.caller.org_id))
    months = _months(keys.user_pk(request.caller.org_id, user.id), year)
    return {"year": year, "months": [_month(m, c, organization=False) for m, c in months.items()], "total_classes": int(user.total_classes or 0)}


def organization_stats(request: Request, user: Any) -> dict[str, Any]:
    require_role(user, REVIEWER_ROLES, "see the organization's statistics")
    year = _year(request, None if request.params.year else _timezone(request.caller.org_id))
    months = _months(keys.org_pk(request.caller.org_id), year)
    return {"year": year, "months": [_month(m, c, organization=True) for m, c in months.items()]}


def _timezone(org_id: str) -> str | None:
    from activity_tracker.repository import organizations

    org = organizations.get(org_id)
    return org.timezone if org else None
