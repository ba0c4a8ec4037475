"""`/api/exports`: coordinators and admins queue Bufdir exports and follow them."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from activity_tracker import keys
from activity_tracker.access import require_role
from activity_tracker.api import Request, Response
from activity_tracker.clock import iso, new_id, now
from activity_tracker.dto import export_dto
from activity_tracker.errors import NotFound, ValidationFailed
from activity_tracker.pagination import collect, cursor_key, decode_cursor, start_key
from activity_tracker.repository import exports as repo
from activity_tracker.repository.table import records
from activity_tracker.rules.exports import MAX_PERIOD_DAYS, STALE_RUNNING, settled
from activity_tracker.vocabulary import REVIEWER_ROLES

if TYPE_CHECKING:  # request models load with the request that needs them (pydantic stays out of GET's cold start)
    from activity_tracker.models.export import ExportCreate, ExportListQuery

URL_SECONDS = 15 * 60


def _shown(item: Any, url: str | None = None) -> dict[str, Any]:
    """The export as the API shows it: a run that died while `running` reads as failed."""
    return settled(export_dto(item, url), item.started_at, iso(now() - STALE_RUNNING))


def _period(body: ExportCreate) -> None:
    def problem(field: str, rule: str, message: str) -> ValidationFailed:
        return ValidationFailed("The period is not valid.", [{"field": field, "rule": rule, "message": message}])

    try:
        start, end = date.fromisoformat(body.period_start), date.fromisoformat(body.period_end)
    except ValueError:
        raise problem("period_start", "period_valid_dates", "period_start and period_end must be real dates") from None
    if end < start:
        raise problem("period_end", "period_end_not_before_start", "period_end is before period_start")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise problem("period_end", "period_at_most_366_days", "a period covers at most 366 days")


def create_export(request: Request, user: Any) -> Response:
    require_role(user, REVIEWER_ROLES, "export to Bufdir")
    body: ExportCreate = request.body
    _period(body)
    item = repo.create(request.caller.org_id, new_id(), body.period_start, body.period_end, body.format, user.id)
    assert item is not None  # a fresh uuid
    return Response(202, {"id": item.id, "status": item.status})


def list_exports(request: Request, user: Any) -> dict[str, Any]:
    require_role(user, REVIEWER_ROLES, "see exports")
    query: ExportListQuery = request.params
    partition = keys.exports_of_org(request.caller.org_id)
    start = decode_cursor(query.cursor, ("pk", "sk", "gsi2pk", "gsi2sk"), ("gsi2pk", partition))
    found = records(repo.ExportItem.by_organization, partition, scan_index_forward=False, page_size=query.limit, start=start_key(start))
    items, cursor = collect(found, query.limit, lambda it: cursor_key(it, "gsi2"))
    return {"items": [_shown(it) for it in items], "next_cursor": cursor}


def get_export(request: Request, user: Any) -> dict[str, Any]:
    require_role(user, REVIEWER_ROLES, "see exports")
    item = repo.get(request.caller.org_id, request.path["id"])
    if item is None:
        raise NotFound("export")
    url = repo.download_url(item.s3_key, URL_SECONDS) if item.status == "done" and item.s3_key else None
    return _shown(item, url)
