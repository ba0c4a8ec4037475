"""The job worker Lambda (JobsWorkerFunction): the table stream's second and last reader, beside the
consumer (docs/decisions.md, Two stream readers). Its event source lets through the job items queued or
handed over `pending` (a Bufdir export, a personal-data export, an erasure); each record goes, by its
NewImage's `type`, to that job's record handler, imported only when a record of its type comes.
One BatchProcessor reports partial batch failures, so Lambda retries a failed job and sends it to
the jobs' on-failure queue once it failed every retry."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "activity-tracker"))
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)

# item type -> (module, record handler); template.yaml's JobsWorkerFunction filters let exactly these through
RECORD_HANDLERS: dict[str, tuple[str, str]] = {
    "EXPORT": ("activity_tracker.bufdir.handlers", "export_record"),
    "DATA_EXPORT": ("activity_tracker.privacy.handlers", "data_export_record"),
    "ERASURE": ("activity_tracker.privacy.handlers", "erasure_record"),
}


def job_type(record: DynamoDBRecord) -> str | None:
    image = record.raw_event["dynamodb"].get("NewImage") or {}
    value = (image.get("type") or {}).get("S")
    return value if isinstance(value, str) else None


def record_handler_for(kind: str | None) -> Callable[..., None] | None:
    target = RECORD_HANDLERS.get(kind or "")
    if target is None:
        return None
    module, name = target
    handler: Callable[..., None] = getattr(importlib.import_module(module), name)
    return handler


def record_handler(record: DynamoDBRecord, lambda_context: Any = None) -> None:
    kind = job_type(record)
    handler = record_handler_for(kind)
    if handler is None:  # the filters let through job types only: nothing to run for it
        logger.warning("not a job", extra={"type": kind, "event": record.event_name})
        return
    handler(record, lambda_context)


def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
