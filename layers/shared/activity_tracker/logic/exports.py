"""`/api/exports`: coordinators and admins queue Bufdir exports and follow them."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from activity_tracker import keys
from activity_tracker.access import require_role
from activity_tracker.api import Request, Response, logger
from activity_tracker.clock import iso, new_id, now
from activity_tracker.dto import export_dto
from activity_tracker.errors import NotFound, RateLimited, ValidationFailed
from activity_tracker.pagination import collect, cursor_key, decode_cursor, start_key
from activity_tracker.repository import exports as repo
from activity_tracker.repository.table import records
from activity_tracker.rules.exports import MAX_PERIOD_DAYS, ONE_AT_A_TIME_RETRY_SECONDS, RETENTION, STALE_RUNNING, seconds_to_next_day, settled
from activity_tracker.settings import get_settings
from activity_tracker.vocabulary import REVIEWER_ROLES

if TYPE_CHECKING:  # request models load with the request that needs them (pydantic stays out of GET's cold start)
    from activity_tracker.models.export import ExportCreate, ExportListQuery

URL_SECONDS = 15 * 60


def _shown(item: Any, url: str | None = None) -> dict[str, Any]:
    """The export as the API shows it: a run that died while `running` reads as failed, a done
    export whose file the bucket's lifecycle may have deleted as expired (no url)."""
    moment = now()
    return settled(export_dto(item, url), item.started_at, iso(moment - STALE_RUNNING), iso(moment - RETENTION))


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


def _holds_the_place(org_id: str, export_id: str) -> bool:
    """Whether the export holding the organization's place is still pending or running (alive)."""
    holder = repo.get(org_id, export_id)
    if holder is None:
        return False
    return _shown(holder)["status"] in repo.UNFINISHED


def create_export(request: Request, user: Any) -> Response:
    """Queue an export: one pending or running at a time per organization, and a daily quota
    (429 `rate_limited` with `Retry-After` beyond them). Scheduled exports are not counted."""
    require_role(user, REVIEWER_ROLES, "export to Bufdir")
    body: ExportCreate = request.body
    _period(body)
    org_id, moment = request.caller.org_id, now()
    holder = repo.slot_holder(org_id)
    if holder is not None and _holds_the_place(org_id, holder):
        raise _one_at_a_time()
    item = repo.new(org_id, new_id(), body.period_start, body.period_end, body.format, user.id)
    quota = get_settings().exports_daily_quota
    try:
        repo.create_within_limits(item, free_holder=holder, day=moment.date().isoformat(), quota=quota, expires_at=int(moment.timestamp()) + 2 * 24 * 3600)
    except repo.LimitReached as refused:
        if refused.reason == "quota":
            raise RateLimited(
                f"Your organization has requested {quota} exports today (UTC), the most a day allows.",
                [{"field": "period_start", "rule": "export_daily_quota", "message": f"at most {quota} exports a day"}],
                seconds_to_next_day(moment),
            ) from None
        raise _one_at_a_time() from None
    return Response(202, {"id": item.id, "status": item.status})


def _one_at_a_time() -> RateLimited:
    return RateLimited(
        "Another export of your organization is pending or running; try again when it is done.",
        [{"field": "period_start", "rule": "one_export_at_a_time", "message": "one pending or running export per organization"}],
        ONE_AT_A_TIME_RETRY_SECONDS,
    )


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
    shown = _shown(item)
    if shown["status"] == "done" and item.s3_key:
        repo.record_download(item, user.id)  # the audit trail's download entry (from the stream), before the link exists
        url = repo.download_url(item.s3_key, URL_SECONDS)
        _log_link(item, user, url)
        shown = _shown(item, url)
    return shown


def _log_link(item: Any, user: Any, url: str) -> None:
    """Who was given a link to which export. S3's access log names the function's role as the
    requester of a presigned URL, never the user: this line, the link's signing time and a hash of
    its signature (the link itself is a credential, so it is not logged) tie each download in the
    access log to the user who asked for it (docs/operations.md)."""
    import hashlib
    from urllib.parse import parse_qs, urlsplit

    query = parse_qs(urlsplit(url).query)
    signature = (query.get("X-Amz-Signature") or query.get("Signature") or [""])[0]
    logger.info(
        "export link issued",
        extra={
            "export": item.id, "organization": item.organization_id, "user": user.id, "key": item.s3_key,
            "signed_at": (query.get("X-Amz-Date") or query.get("Expires") or [""])[0],
            "signature_sha256": hashlib.sha256(signature.encode()).hexdigest(), "valid_seconds": URL_SECONDS,
        },
    )  # fmt: skip
