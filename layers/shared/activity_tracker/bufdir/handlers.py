"""The Bufdir export's record handler (run by the job worker, stream/jobs.py, when the table's stream
brings an export queued) and the Lambda entry points of the monthly schedule and the sweep."""

from __future__ import annotations

import os
import uuid
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from activity_tracker import keys
from activity_tracker.bufdir import worker
from activity_tracker.repository import exports
from activity_tracker.stream.images import deserialize

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "activity-tracker"))


def export_record(record: DynamoDBRecord, lambda_context: Any = None) -> None:
    image = deserialize(record.raw_event["dynamodb"].get("NewImage")) or {}
    export = exports.get(image["organization_id"], image["id"])
    if export is None or not worker.claim(export):
        return  # gone, or already claimed by an earlier delivery
    logger.info("exporting", extra={"export": export.id, "organization": export.organization_id})
    seconds_left = (lambda: lambda_context.get_remaining_time_in_millis() / 1000) if lambda_context is not None else None
    worker.run(export, seconds_left=seconds_left)


def scheduled_export_id(org_id: str, period_start: str) -> str:
    """The same id for the same organization and month, so a rerun of the schedule queues nothing twice."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"activity-tracker:bufdir:{org_id}:{period_start}"))


def schedule_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Queue the previous month's export (in each organization's time zone) for every
    organization that is not a test organization. A rerun queues nothing twice, but queues again
    (`requeued`) a month's export that failed or is stuck pending or running."""
    from activity_tracker.clock import iso, now
    from activity_tracker.repository.organizations import OrganizationItem
    from activity_tracker.rules.exports import PENDING_REDRIVE_AFTER, STALE_RUNNING

    queued, requeued, skipped = [], [], 0
    moment = now()
    for org in OrganizationItem.every_organization.query(keys.ALL_ORGANIZATIONS):
        if org.is_test_organization:
            skipped += 1
            continue
        start, end = worker.previous_month(org.timezone)
        export_id = scheduled_export_id(org.id, start)
        if exports.create(org.id, export_id, start, end, "csv", None) is not None:
            queued.append(org.id)
            continue
        existing = exports.get(org.id, export_id)
        if existing is not None and exports.requeue(existing, iso(moment - PENDING_REDRIVE_AFTER), iso(moment - STALE_RUNNING)):
            requeued.append(org.id)
    logger.info("scheduled Bufdir exports", extra={"queued": len(queued), "requeued": len(requeued), "test_organizations": skipped})
    return {"queued": queued, "requeued": requeued, "skipped_test_organizations": skipped}


def sweep_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Every 15 minutes: re-drive exports stuck pending, fail those that will not start or whose run died."""
    from activity_tracker.bufdir.sweep import sweep

    swept = sweep()
    if swept.redriven or swept.failed:
        logger.warning("swept stuck Bufdir exports", extra=swept.as_dict())
    return swept.as_dict()
