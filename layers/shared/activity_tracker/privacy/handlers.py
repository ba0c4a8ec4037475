"""The privacy jobs' record handlers (the personal-data export and the erasure: run by the job worker,
stream/jobs.py, when the table's stream brings their job queued or handed over `pending`), and the
Lambda entry point of the daily retention schedule."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from activity_tracker.privacy import jobs
from activity_tracker.stream.images import deserialize


def _claimed(record: DynamoDBRecord) -> jobs.JobItem | None:
    image = deserialize(record.raw_event["dynamodb"].get("NewImage")) or {}
    job = jobs.get(image["pk"], image["sk"])
    if job is None or not jobs.claim(job):
        return None  # gone, or claimed by an earlier delivery
    return job


def _seconds_left(context: Any) -> Any:
    return (lambda: context.get_remaining_time_in_millis() / 1000) if context is not None and hasattr(context, "get_remaining_time_in_millis") else None


def data_export_record(record: DynamoDBRecord, lambda_context: Any = None) -> None:
    from activity_tracker.privacy import export

    job = _claimed(record)
    if job is not None:
        export.run(job, seconds_left=_seconds_left(lambda_context))


def erasure_record(record: DynamoDBRecord, lambda_context: Any = None) -> None:
    from activity_tracker.api import logger
    from activity_tracker.privacy import erasure

    job = _claimed(record)
    if job is not None:
        outcome = erasure.run(job, seconds_left=_seconds_left(lambda_context))
        logger.info("erasure run", extra={"erasure": job.id, "organization": job.organization_id, "kind": job.subject_kind, "outcome": outcome, "counts": job.counts})


def retention_schedule(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from activity_tracker.privacy import retention

    return retention.run_all(seconds_left=_seconds_left(context))
