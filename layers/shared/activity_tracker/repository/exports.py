"""Exports: `ORG#o#EXPORT#e / EXPORT` (type EXPORT), listed through GSI2 `ORG#o#EXPORTS`; while
pending or running also in GSI4 `EXPORTS#UNFINISHED` (sparse), which the sweep reads.

Limits of user requests (`ORG#o#EXPORTLIMITS`): `SLOT` names the export that holds the
organization's one place (free once that export is finished), `DAY#<date>` counts the requests of
a UTC day (TTL two days). Both are written in the same transaction as the export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError

from activity_tracker import keys
from activity_tracker.clock import now_iso
from activity_tracker.repository.table import CONFLICT_ATTEMPTS, Gsi2, Gsi4, TableItem, connection, met_a_transaction, transaction, wait_before_retry
from activity_tracker.settings import get_settings

UNFINISHED = ("pending", "running")


class ExportItem(TableItem):
    id = UnicodeAttribute()
    organization_id = UnicodeAttribute()
    status = UnicodeAttribute()
    period_start = UnicodeAttribute()
    period_end = UnicodeAttribute()
    format = UnicodeAttribute()
    row_count = NumberAttribute(null=True)
    summary = JSONAttribute(null=True)
    error = UnicodeAttribute(null=True)
    s3_key = UnicodeAttribute(null=True)
    requested_by_user_id = UnicodeAttribute(null=True)
    scheduled = BooleanAttribute(default=False)
    queued_at = UnicodeAttribute(null=True)  # when it was last queued (created, re-driven or re-queued)
    redrives = NumberAttribute(null=True)  # times the sweep re-drove it since it was queued
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    downloads = NumberAttribute(null=True)  # links handed out (`record_download`): each is a download in the audit trail
    last_downloaded_by = UnicodeAttribute(null=True)
    last_downloaded_at = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    gsi4pk = UnicodeAttribute(null=True)  # keys.UNFINISHED_EXPORTS while pending or running
    gsi4sk = UnicodeAttribute(null=True)
    by_organization = Gsi2()
    unfinished = Gsi4()


class ExportSlot(TableItem):
    """`ORG#o#EXPORTLIMITS / SLOT`: the export holding the organization's one place."""

    export_id = UnicodeAttribute()


class ExportQuota(TableItem):
    """`ORG#o#EXPORTLIMITS / DAY#<date>`: exports requested that UTC day."""

    requested = NumberAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # TTL


def _queued(moment: str, export_id: str) -> dict[str, str]:
    return {"queued_at": moment, "gsi4pk": keys.UNFINISHED_EXPORTS, "gsi4sk": f"{moment}#{export_id}"}


def new(org_id: str, export_id: str, period_start: str, period_end: str, fmt: str, requested_by: str | None) -> ExportItem:
    moment = now_iso()
    item = ExportItem(
        keys.export_pk(org_id, export_id), keys.EXPORT_SK, entity="EXPORT", id=export_id, organization_id=org_id, status="pending",
        period_start=period_start, period_end=period_end, format=fmt, requested_by_user_id=requested_by, scheduled=requested_by is None,
        redrives=0, created_at=moment, updated_at=moment, gsi2pk=keys.exports_of_org(org_id), gsi2sk=f"{moment}#{export_id}",
    )  # fmt: skip
    for name, value in _queued(moment, export_id).items():
        setattr(item, name, value)
    return item


def create(org_id: str, export_id: str, period_start: str, period_end: str, fmt: str, requested_by: str | None) -> ExportItem | None:
    """Queue an export without limits (the schedule); None when one with this id exists already."""
    item = new(org_id, export_id, period_start, period_end, fmt, requested_by)
    try:
        item.save(condition=ExportItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return item


class LimitReached(Exception):
    """A user's export request is over a limit: `reason` is `running` or `quota`."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def slot_holder(org_id: str) -> str | None:
    try:
        return ExportSlot.get(keys.export_limits_pk(org_id), keys.EXPORT_SLOT_SK, consistent_read=True).export_id
    except DoesNotExist:
        return None


def create_within_limits(item: ExportItem, *, free_holder: str | None, day: str, quota: int, expires_at: int) -> None:
    """Write a user's export in one transaction with the organization's place (free: no holder,
    or still `free_holder`, an export the caller found finished) and the day's count (below
    `quota`). Raises LimitReached('running' | 'quota')."""
    org_id = item.organization_id
    slot = ExportSlot(keys.export_limits_pk(org_id), keys.EXPORT_SLOT_SK, entity="EXPORT_SLOT", export_id=item.id)
    slot_free = ExportSlot.pk.does_not_exist() if free_holder is None else (ExportSlot.export_id == free_holder)
    counter = ExportQuota(keys.export_limits_pk(org_id), keys.export_quota_sk(day))
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            with transaction() as tx:
                tx.save(item, condition=ExportItem.pk.does_not_exist())
                tx.save(slot, condition=slot_free)
                tx.update(
                    counter,
                    actions=[ExportQuota.requested.add(1), ExportQuota.entity.set("EXPORT_QUOTA"), ExportQuota.expires_at.set(expires_at)],
                    condition=ExportQuota.requested.does_not_exist() | (ExportQuota.requested < quota),
                )
            return
        except TransactWriteError as error:
            codes = [getattr(reason, "code", None) for reason in (error.cancellation_reasons or [])]
            if len(codes) > 2 and codes[2] == "ConditionalCheckFailed":
                raise LimitReached("quota") from None
            if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise LimitReached("running") from None
            if not met_a_transaction(error) or attempt == CONFLICT_ATTEMPTS - 1:
                raise
            wait_before_retry(attempt)


def _conditional_update(item: ExportItem, actions: list[Any], condition: Any) -> bool:
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _as_read(attribute: Any, value: str | None) -> Any:
    return attribute.does_not_exist() if value is None else attribute == value


def requeue(item: ExportItem, stale_pending_before: str, stale_running_before: str) -> bool:
    """A failed export, or one stuck pending or running, becomes pending again with a fresh budget of
    re-drives (the MODIFY reaches the worker through the stream). False when it is not one of those."""
    moment = now_iso()
    queued_long_ago = (ExportItem.queued_at < stale_pending_before) | (ExportItem.queued_at.does_not_exist() & (ExportItem.created_at < stale_pending_before))
    stuck = (
        (ExportItem.status == "failed")
        | ((ExportItem.status == "pending") & queued_long_ago)
        | ((ExportItem.status == "running") & (ExportItem.started_at < stale_running_before))
    )  # fmt: skip
    fresh = _queued(moment, item.id)
    actions = [
        ExportItem.status.set("pending"), ExportItem.redrives.set(0), ExportItem.updated_at.set(moment),
        *(getattr(ExportItem, name).set(value) for name, value in fresh.items()),
        *(getattr(ExportItem, name).remove() for name in ("error", "started_at", "finished_at", "row_count", "summary", "s3_key")),
    ]  # fmt: skip
    return _conditional_update(item, actions, stuck)


def redrive(item: ExportItem) -> bool:
    """Touch a pending export as read (same `queued_at`), so that the stream delivers it to the worker again."""
    moment = now_iso()
    actions = [ExportItem.redrives.set(int(item.redrives or 0) + 1), ExportItem.updated_at.set(moment), *(getattr(ExportItem, n).set(v) for n, v in _queued(moment, item.id).items())]
    return _conditional_update(item, actions, (ExportItem.status == "pending") & _as_read(ExportItem.queued_at, item.queued_at))


def fail_stuck(item: ExportItem, reason: str) -> bool:
    """A pending or running export, unchanged since read, ends `failed` with a reason for its user."""
    moment = now_iso()
    unchanged = (ExportItem.status == item.status) & _as_read(ExportItem.queued_at, item.queued_at) & _as_read(ExportItem.started_at, item.started_at)
    actions = [ExportItem.status.set("failed"), ExportItem.error.set(reason), ExportItem.finished_at.set(moment), ExportItem.updated_at.set(moment), *leave_unfinished()]
    return _conditional_update(item, actions, unchanged)


def leave_unfinished() -> list[Any]:
    """Update actions that take a finishing export (done or failed) out of the sweep's index."""
    return [ExportItem.gsi4pk.remove(), ExportItem.gsi4sk.remove()]


def unfinished() -> Iterator[ExportItem]:
    """Every pending or running export, oldest queued first (GSI4 `EXPORTS#UNFINISHED`)."""
    return ExportItem.unfinished.query(keys.UNFINISHED_EXPORTS)


def get(org_id: str, export_id: str) -> ExportItem | None:
    try:
        return ExportItem.get(keys.export_pk(org_id, export_id), keys.EXPORT_SK, consistent_read=True)
    except DoesNotExist:
        return None


def record_download(item: ExportItem, user_id: str) -> None:
    """A download link is about to be handed to `user_id`: one UpdateItem on the export (who, when,
    a count), whose stream record the audit trail turns into a download entry. Written before the
    link is signed, so no link goes out unrecorded; `updated_at` stays (the export did not change)."""
    actions: list[Any] = [ExportItem.downloads.add(1), ExportItem.last_downloaded_by.set(user_id), ExportItem.last_downloaded_at.set(now_iso())]
    item.update(actions=actions, condition=ExportItem.pk.exists())


_s3: Any = None


def download_url(s3_key: str, seconds: int) -> str:
    """A presigned GET of an export's file. One S3 client per container, made on the first done
    export read from the botocore session the table's client came from (a session of its own would
    load botocore's endpoint and retry data again; boto3 would add nothing but its import time)."""
    global _s3
    if _s3 is None:
        _s3 = connection().session.create_client("s3")
    return str(_s3.generate_presigned_url("get_object", Params={"Bucket": get_settings().exports_bucket, "Key": s3_key}, ExpiresIn=seconds))
