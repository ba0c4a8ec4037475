"""The stream consumer Lambda: counters for a whole batch first (aggregated, exactly once), the
audit trail's entries for the batch (idempotent puts keyed by the record, stream/audit.py), then
the calendar feeds' stamps (stream/feed_stamps.py), then
per-record effects through powertools' BatchProcessor. Failures of any are reported as batch item
failures, so Lambda retries from the earliest failed record; what was already applied is skipped
or rewritten identically on the retry (markers for counters, keys for the trail, idempotence for
effects)."""

from __future__ import annotations

import os
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from activity_tracker.stream import audit, counters, effects, feed_stamps
from activity_tracker.stream.images import change_of

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "activity-tracker"))
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ActivityTracker"))
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    change = change_of(record.raw_event)
    if change.entity == "HOME_VISIT_REPORT":
        effects.mark_home_visit_report(change)
    elif change.entity == "ACTIVITY":
        for activity_id, duplicate_of in effects.recheck_duplicates(change):
            logger.info("marked duplicate", extra={"activity": activity_id, "duplicate_of": duplicate_of})


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records") or []
    changes = [change_of(record) for record in records]
    outcome = counters.apply(changes)
    unaudited = audit.record(changes)  # the audit trail: idempotent puts keyed by the record (stream/audit.py)
    if unaudited:
        logger.warning("audit entries failed", extra={"records": len(unaudited)})
    unstamped = feed_stamps.apply(changes)  # calendar feeds' stamps: max-only conditional updates (stream/feed_stamps.py)
    if unstamped:
        logger.warning("feed stamps failed", extra={"records": len(unstamped)})
    metrics.add_metric(name="StreamRecords", unit=MetricUnit.Count, value=len(records))
    metrics.add_metric(name="CounterWrites", unit=MetricUnit.Count, value=outcome.counter_writes)
    if outcome.failed:
        logger.warning("counter updates failed", extra={"records": len(outcome.failed)})
    try:
        response = process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    except BatchProcessingError:
        logger.exception("every record of the batch failed")
        response = {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in records]}
    # A DynamoDB stream's item identifiers are sequence numbers (str); only Kafka's are dicts.
    failed = {cast(str, item["itemIdentifier"]) for item in response.get("batchItemFailures", [])}
    by_event = {r["eventID"]: r["dynamodb"]["SequenceNumber"] for r in records}
    failed |= {by_event[event_id] for event_id in [*outcome.failed, *unaudited, *unstamped]}
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in sorted(failed, key=int)]}
