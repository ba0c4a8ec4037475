"""Runs a queued export: claims it (pending → running), pages through the organization's
activities by date with a Query, streams the rows to S3 with a multipart upload (memory stays
flat as the period grows), and ends `done` with row_count and summary, or `failed` with a reason.
A redelivered or rerun export is safe: only a pending one (or one stuck running past the worker's
timeout) can be claimed, and a rerun overwrites the same object."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from activity_tracker import keys
from activity_tracker.bufdir.report import CsvRows, JsonRows, Summary, counts, row
from activity_tracker.clock import iso, now, now_iso
from activity_tracker.repository.exports import ExportItem
from activity_tracker.rules.activities import local_day_window
from activity_tracker.settings import get_settings

PART_SIZE = 8 * 1024 * 1024  # S3 parts are at least 5 MiB, but for the last
STALE_RUNNING = timedelta(minutes=16)  # longer than the worker's timeout
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def s3_key(export: ExportItem) -> str:
    return f"exports/{export.organization_id}/{export.id}.{export.format}"


def claim(export: ExportItem) -> bool:
    from pynamodb.exceptions import UpdateError

    stale = iso(now() - STALE_RUNNING)
    try:
        export.update(
            actions=[ExportItem.status.set("running"), ExportItem.started_at.set(now_iso()), ExportItem.updated_at.set(now_iso()), ExportItem.error.remove()],
            condition=(ExportItem.status == "pending") | ((ExportItem.status == "running") & (ExportItem.started_at < stale)),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


class MultipartWriter:
    """Buffers at most one part in memory; small exports go up as one object."""

    def __init__(self, s3: Any, bucket: str, key: str, content_type: str):
        self.s3, self.bucket, self.key, self.content_type = s3, bucket, key, content_type
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) >= PART_SIZE:
            self._flush_part()

    def _flush_part(self) -> None:
        if self.upload_id is None:
            self.upload_id = self.s3.create_multipart_upload(Bucket=self.bucket, Key=self.key, ContentType=self.content_type)["UploadId"]
        number = len(self.parts) + 1
        etag = self.s3.upload_part(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=bytes(self.buffer))["ETag"]
        self.parts.append({"ETag": etag, "PartNumber": number})
        self.buffer = bytearray()

    def close(self) -> None:
        if self.upload_id is None:
            self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=bytes(self.buffer), ContentType=self.content_type)
            return
        if self.buffer:
            self._flush_part()
        self.s3.complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": self.parts})

    def abort(self) -> None:
        if self.upload_id is not None:
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)


def activities(org_id: str, period_start: str, period_end: str) -> Any:
    """The organization's activities around the period, oldest first, page by page (GSI2)."""
    from activity_tracker.repository.activities import ActivityItem

    first, _ = local_day_window(period_start, 1)
    _, last = local_day_window(period_end, 1)
    return ActivityItem.by_organization.query(keys.activities_of_org(org_id), ActivityItem.gsi2sk.between(first, last + "~"), page_size=500)


def run(export: ExportItem, s3: Any = None) -> None:
    """Produce the export's file and final status. Never leaves it `running` on an error."""
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
                category = categories.get(activity.activity_type)
                if category is None or not counts(activity, export.period_start, export.period_end):
                    continue
                writer.write(fmt.add(row(activity, category)))
                summary.add(activity, category)
                row_count += 1
        writer.write(fmt.end(summary.as_dict()))
        writer.close()
    except Exception as error:  # noqa: BLE001 - any failure ends as `failed`, with its reason
        try:
            writer.abort()
        finally:
            export.update(actions=[ExportItem.status.set("failed"), ExportItem.error.set(f"{type(error).__name__}: {error}"[:1000]), ExportItem.finished_at.set(now_iso()), ExportItem.updated_at.set(now_iso())])
        return
    export.update(
        actions=[
            ExportItem.status.set("done"), ExportItem.row_count.set(row_count), ExportItem.summary.set(summary.as_dict()),
            ExportItem.s3_key.set(key), ExportItem.finished_at.set(now_iso()), ExportItem.updated_at.set(now_iso()),
        ]
    )  # fmt: skip


def previous_month(timezone: str, moment: datetime | None = None) -> tuple[str, str]:
    from zoneinfo import ZoneInfo

    local = (moment or datetime.now(UTC)).astimezone(ZoneInfo(timezone))
    last = local.date().replace(day=1) - timedelta(days=1)
    return last.replace(day=1).isoformat(), last.isoformat()
