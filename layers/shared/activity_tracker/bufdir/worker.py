"""Runs a queued export: claims it (pending → running), pages through the organization's
approved activities by date with a Query (GSI4, only the attributes a row needs), streams the
rows to S3 with a multipart upload (memory stays flat as the period grows), and ends `done` with row_count and summary, or `failed` with a fixed reason for
its user (the exception itself goes to the logs).
A redelivered or rerun export is safe: only a pending one (or one stuck running past the worker's
timeout) can be claimed, and a rerun overwrites the same object."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from activity_tracker.bufdir.report import ATTRIBUTES, CsvRows, JsonRows, Summary, counts, reported_category, row
from activity_tracker.clock import iso, now, now_iso
from activity_tracker.repository.exports import ExportItem, leave_unfinished
from activity_tracker.rules.activities import local_day_window
from activity_tracker.rules.exports import FAILED, STALE_RUNNING, TIME_LIMIT, out_of_time
from activity_tracker.settings import get_settings

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "activity-tracker"))

PART_SIZE = 5 * 1024 * 1024  # S3's smallest part (but for the last): memory holds one; 10,000 parts make 50 GiB
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def s3_key(export: ExportItem) -> str:
    return f"exports/{export.organization_id}/{export.id}.{export.format}"


def claim(export: ExportItem) -> bool:
    """pending → running (or a running one older than the worker's timeout); `started_at` then names this claim.

    The update is applied at most once but may be sent twice: botocore resends it when its answer
    is lost (a timeout, a reset connection), and the resend then fails its own condition. So a
    refused claim is read back: if it holds this claim's `started_at`, the claim is ours."""
    from pynamodb.exceptions import UpdateError

    from activity_tracker.repository import exports

    stale = iso(now() - STALE_RUNNING)
    started = now_iso()
    try:
        _durably(lambda: export.update(
            actions=[ExportItem.status.set("running"), ExportItem.started_at.set(started), ExportItem.updated_at.set(started), ExportItem.error.remove()],
            condition=(ExportItem.status == "pending") | ((ExportItem.status == "running") & (ExportItem.started_at < stale)),
        ))  # fmt: skip
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        current = exports.get(export.organization_id, export.id)
        if current is None or current.status != "running" or current.started_at != started:
            return False
        export.status, export.started_at = current.status, current.started_at
    return True


def _durably(write: Callable[[], Any]) -> Any:
    """A write of the worker's own state, tried again while AWS answers "not now" (throttled,
    failing, unreachable) after botocore's own retries: an export must not stay `running` because
    its final write met a bad second."""
    from activity_tracker.errors import is_transient
    from activity_tracker.repository.table import CONFLICT_ATTEMPTS, wait_before_retry

    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            return write()
        except Exception as error:
            if attempt == CONFLICT_ATTEMPTS - 1 or not is_transient(error):
                raise
            wait_before_retry(attempt + 3)  # 160 ms, 320 ms, ...


class MultipartWriter:
    """Holds at most one part in memory, as a file the upload reads (no copy of it is made);
    small exports go up as one object."""

    def __init__(self, s3: Any, bucket: str, key: str, content_type: str):
        self.s3, self.bucket, self.key, self.content_type = s3, bucket, key, content_type
        self.buffer = io.BytesIO()
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        self.buffer.write(data)
        if self.buffer.tell() >= PART_SIZE:
            self._flush_part()

    def _body(self) -> io.BytesIO:
        body, self.buffer = self.buffer, io.BytesIO()
        body.seek(0)
        return body

    def _flush_part(self) -> None:
        if self.upload_id is None:
            self.upload_id = self.s3.create_multipart_upload(Bucket=self.bucket, Key=self.key, ContentType=self.content_type)["UploadId"]
        number = len(self.parts) + 1
        etag = self.s3.upload_part(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=self._body())["ETag"]
        self.parts.append({"ETag": etag, "PartNumber": number})

    def close(self) -> None:
        if self.upload_id is None:
            self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=self._body(), ContentType=self.content_type)
            return
        if self.buffer.tell():
            self._flush_part()
        self.s3.complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": self.parts})

    def abort(self) -> None:
        if self.upload_id is not None:
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)


def activities(org_id: str, period_start: str, period_end: str) -> Any:
    """The organization's approved activities around the period (a day either side, as
    `activity_date` is UTC and the period local), oldest first, as plain dicts, page by page."""
    from activity_tracker.repository.activities import approved_by_date

    first, _ = local_day_window(period_start, 1)
    _, last = local_day_window(period_end, 1)
    return approved_by_date(org_id, first, last, ATTRIBUTES)


def _finish(export: ExportItem, actions: list[Any]) -> None:
    """The final status, only while this run still holds the claim: a run that was taken over as
    stale must not overwrite the result of the run that took it over. A finished export leaves the
    sweep's index of unfinished ones."""
    from pynamodb.exceptions import UpdateError

    claimed_at = export.started_at
    try:
        _durably(lambda: export.update(
            actions=[*actions, *leave_unfinished(), ExportItem.finished_at.set(now_iso()), ExportItem.updated_at.set(now_iso())],
            condition=(ExportItem.status == "running") & (ExportItem.started_at == claimed_at),
        ))  # fmt: skip
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


class OutOfTime(Exception):
    pass


def run(export: ExportItem, s3: Any = None, seconds_left: Callable[[], float] | None = None) -> None:
    """Produce the export's file and final status. Never leaves it `running` on an error, nor
    when the invocation's time (`seconds_left`) runs short: then it ends `failed` in time."""
    import boto3

    from activity_tracker.repository import organizations

    s3 = s3 or boto3.client("s3")
    bucket, key = get_settings().exports_bucket, s3_key(export)
    writer = MultipartWriter(s3, bucket, key, CONTENT_TYPES[export.format])
    try:
        org = organizations.get(export.organization_id)
        if org is None:
            raise RuntimeError("the organization does not exist")
        categories = org.activity_type_categories or {}
        fmt = CsvRows() if export.format == "csv" else JsonRows()
        meta = {"id": export.id, "organization_id": org.id, "period_start": export.period_start, "period_end": export.period_end, "generated_at": now_iso()}
        writer.write(fmt.start(meta))
        summary, row_count = Summary(), 0
        if not org.is_test_organization:
            for activity in activities(org.id, export.period_start, export.period_end):
                if seconds_left is not None and row_count % 100 == 0 and out_of_time(seconds_left()):
                    raise OutOfTime(TIME_LIMIT)
                if not counts(activity, export.period_start, export.period_end):
                    continue
                category = reported_category(activity, categories, org.is_test_organization)
                if category is None:
                    continue
                writer.write(fmt.add(row(activity, category)))
                summary.add(activity, category)
                row_count += 1
        writer.write(fmt.end(summary.as_dict()))
        writer.close()
    except Exception as error:  # any failure ends as `failed`, with a fixed reason for its user
        # The user sees a fixed reason; what happened (which may name ARNs, buckets, keys) goes to the logs only.
        if isinstance(error, OutOfTime):
            logger.warning("export out of time", extra={"export": export.id, "organization": export.organization_id})
        else:
            logger.exception("export failed", extra={"export": export.id, "organization": export.organization_id})
        try:
            writer.abort()
        finally:
            _finish(export, [ExportItem.status.set("failed"), ExportItem.error.set(TIME_LIMIT if isinstance(error, OutOfTime) else FAILED)])
        return
    _finish(export, [ExportItem.status.set("done"), ExportItem.row_count.set(row_count), ExportItem.summary.set(summary.as_dict()), ExportItem.s3_key.set(key)])


def previous_month(timezone: str, moment: datetime | None = None) -> tuple[str, str]:
    from zoneinfo import ZoneInfo

    local = (moment or datetime.now(UTC)).astimezone(ZoneInfo(timezone))
    last = local.date().replace(day=1) - timedelta(days=1)
    return last.replace(day=1).isoformat(), last.isoformat()
