"""The status item of a privacy job and its life: queued `pending`, claimed `running` by one worker,
continued page by page with its place (`phase`, `cursor`) and tallies (`counts`) written after each
page, `done` or `failed` at the end. The same claim as the Bufdir export's (`bufdir.worker.claim`):
only a pending job, or one whose run stopped (running for longer than the worker's timeout), can be
claimed, and a claim is ours only while `started_at` is the one we wrote.

A run that nears its time limit writes `pending` back with its place: the table's stream delivers
that MODIFY to the worker again, which continues from the place (a job of any size finishes in
15-minute slices). A run that fails ends `failed` with its place kept; asking again (the same POST)
queues it again from there. Every step of a job is idempotent, so a page done twice (the run
stopped after the page, before writing its place) changes nothing more."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from activity_tracker.bufdir.worker import _durably as durably
from activity_tracker.clock import iso, now, now_iso
from activity_tracker.repository.table import Gsi1, Gsi2, TableItem

DATA_EXPORT, ERASURE, RETENTION_RUN = "DATA_EXPORT", "ERASURE", "RETENTION_RUN"
WORKER_TIMEOUT = timedelta(seconds=900)  # template.yaml: JobsWorkerFunction, RetentionScheduleFunction
STALE_RUNNING = WORKER_TIMEOUT + timedelta(minutes=1)
RESERVE_SECONDS = 30.0  # left when a run writes its place and hands over to the next invocation
FAILED = "JobFailed: the job stopped on an error; ask again (an erasure continues from where it stopped), or give support its id"


class JobItem(TableItem):
    id = UnicodeAttribute()
    organization_id = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | running | done | failed
    subject_kind = UnicodeAttribute(null=True)  # user | contact (erasure); user (data export)
    subject_id = UnicodeAttribute(null=True)
    requested_by_user_id = UnicodeAttribute(null=True)
    phase = UnicodeAttribute(null=True)  # the step a run continues from
    cursor = JSONAttribute(null=True)  # the step's place (a DynamoDB key), None: from its start
    counts = JSONAttribute(null=True)  # what the job changed so far, by kind (no personal data)
    settings = JSONAttribute(null=True)  # what a retention run applies (its cut-off)
    runs = NumberAttribute(null=True)  # claims so far
    error = UnicodeAttribute(null=True)
    s3_key = UnicodeAttribute(null=True)
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_subject = Gsi1()
    by_organization = Gsi2()


def new(entity: str, pk: str, sk: str, job_id: str, org_id: str, **fields: Any) -> JobItem:
    moment = now_iso()
    return JobItem(pk, sk, entity=entity, id=job_id, organization_id=org_id, status="pending", runs=0, counts={}, created_at=moment, updated_at=moment, **fields)


def create(item: JobItem) -> bool:
    """Queue a new job; False when a job with its key exists already (nothing is written)."""
    try:
        item.save(condition=JobItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get(pk: str, sk: str) -> JobItem | None:
    try:
        return JobItem.get(pk, sk, consistent_read=True)
    except DoesNotExist:
        return None


def stopped(item: JobItem, moment: Any = None) -> bool:
    """A `running` job whose claim is older than the worker's timeout: its run cannot still be working."""
    return item.status == "running" and item.started_at is not None and item.started_at < iso((moment or now()) - STALE_RUNNING)


def requeue(item: JobItem) -> bool:
    """A failed or stopped job becomes pending again, keeping its place (the MODIFY reaches the
    worker, which continues from there). False when it is not one of those."""
    stale = iso(now() - STALE_RUNNING)
    condition = (JobItem.status == "failed") | ((JobItem.status == "running") & (JobItem.started_at < stale))
    return _conditional(item, [JobItem.status.set("pending"), JobItem.error.remove(), JobItem.updated_at.set(now_iso())], condition)


def _conditional(item: JobItem, actions: list[Any], condition: Any) -> bool:
    try:
        durably(lambda: item.update(actions=actions, condition=condition))
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def claim(item: JobItem) -> bool:
    """pending → running (or a stopped run's job); `started_at` then names this claim. A refused
    claim is read back, as the Bufdir export's: a resent update that was applied the first time is ours."""
    started = now_iso()
    stale = iso(now() - STALE_RUNNING)
    actions = [JobItem.status.set("running"), JobItem.started_at.set(started), JobItem.updated_at.set(started), JobItem.runs.add(1), JobItem.error.remove()]
    if _conditional(item, actions, (JobItem.status == "pending") | ((JobItem.status == "running") & (JobItem.started_at < stale))):
        return True
    current = get(item.pk, item.sk)
    if current is None or current.status != "running" or current.started_at != started:
        return False
    item.refresh(consistent_read=True)
    return True


def _ours(item: JobItem) -> Any:
    return (JobItem.status == "running") & (JobItem.started_at == item.started_at)


class LostClaim(Exception):
    """Another run took the job over (this one was taken for stopped): this run must write nothing more."""


def checkpoint(item: JobItem, phase: str | None, cursor: Any, counts: dict[str, int]) -> None:
    """Write the job's place after a page, only while this run holds the claim."""
    actions = [
        JobItem.phase.set(phase) if phase else JobItem.phase.remove(),
        JobItem.cursor.set(cursor) if cursor else JobItem.cursor.remove(),
        JobItem.counts.set(counts),
        JobItem.updated_at.set(now_iso()),
    ]
    if not _conditional(item, actions, _ours(item)):
        raise LostClaim()
    item.phase, item.cursor, item.counts = phase, cursor, counts


def hand_over(item: JobItem) -> bool:
    """Out of time: pending again with the place kept; the stream delivers it to the next invocation."""
    return _conditional(item, [JobItem.status.set("pending"), JobItem.updated_at.set(now_iso())], _ours(item))


def finish(item: JobItem, status: str, extra: list[Any] | None = None) -> bool:
    moment = now_iso()
    actions = [JobItem.status.set(status), JobItem.finished_at.set(moment), JobItem.updated_at.set(moment), *(extra or [])]
    ok = _conditional(item, actions, _ours(item))
    if ok:
        item.status = status
    return ok


Step = Callable[[JobItem, Any, dict[str, int]], Any]  # (job, cursor, counts) -> next cursor (None: step done)


def run_steps(item: JobItem, steps: list[tuple[str, Step]], seconds_left: Callable[[], float] | None, on_done: list[Any] | None = None) -> str:
    """Run the job's steps from its place, a page per call, writing the place after each page.
    Returns how the run ended: done, handed_over (out of time), failed or lost (claim taken)."""
    from activity_tracker.api import logger

    names = [name for name, _ in steps]
    start = names.index(item.phase) if item.phase in names else len(names) if item.phase == "finished" else 0
    counts: dict[str, int] = dict(item.counts or {})
    cursor = item.cursor if item.phase in names else None
    try:
        for name, step in steps[start:]:
            while True:
                if seconds_left is not None and seconds_left() < RESERVE_SECONDS:
                    hand_over(item)
                    return "handed_over"
                cursor = step(item, cursor, counts)
                if cursor is None:
                    break
                checkpoint(item, name, cursor, counts)
            following = names.index(name) + 1
            checkpoint(item, names[following] if following < len(names) else "finished", None, counts)
    except LostClaim:
        return "lost"
    except Exception:  # noqa: BLE001 - any failure ends the job `failed` (its place kept), the error itself goes to the logs
        logger.exception("privacy job failed", extra={"job": item.id, "type": item.entity, "organization": item.organization_id, "phase": item.phase})
        finish(item, "failed", [JobItem.error.set(FAILED)])
        return "failed"
    finish(item, "done", on_done)
    return "done"


PAGE_ITEMS = 100  # a step's page: its place is written after each


def pages(request: dict[str, Any], cursor: Any, size: int | None = None) -> tuple[list[dict[str, Any]], Any]:
    """One page of a low-level Query from `cursor` (a LastEvaluatedKey): its raw items and the next cursor."""
    from activity_tracker.repository.table import TABLE_NAME, connection

    request = {"TableName": TABLE_NAME, "Limit": size or PAGE_ITEMS, **request}
    if cursor:
        request["ExclusiveStartKey"] = cursor
    page = connection().client.query(**request)
    return page.get("Items", []), page.get("LastEvaluatedKey")


def every(request: dict[str, Any], size: int = 400) -> Iterator[dict[str, Any]]:
    """Every raw item of a low-level Query, a page at a time."""
    cursor: Any = None
    while True:
        items, cursor = pages(request, cursor, size)
        yield from items
        if not cursor:
            return
