"""Replays stream batches that the consumer gave up on, from its on-failure queue.

When the consumer fails a batch after every retry, Lambda sends a description of the batch (not
its records) to the on-failure SQS queue: `DDBStreamBatchInfo` with the stream, shard and first
and last sequence numbers. Once the cause is fixed, an operator invokes the replay function: for
each message it reads that range of the shard again (the stream keeps records 24 hours), runs the
records through the consumer, and deletes the message when every record went through. Replaying
is safe as often as wanted: the consumer applies a stream record at most once (a marker item per
eventID) and its other effects are idempotent.

A message whose records the stream no longer holds is reported `expired` and left in the queue for
the operator (docs/operations.md); so does a message that fails again. Messages are hidden from other
receivers while a run works on them and made visible again when it ends.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from activity_tracker.stream.images import lambda_record

RECEIVE_BATCH = 10  # SQS ReceiveMessage's maximum
RECORDS_PER_CALL = 1000  # GetRecords' maximum
MAX_EMPTY_PAGES = 5
CONSUMER_BATCH = 100  # records per consumer call: the event source mapping's BatchSize
VISIBILITY_SECONDS = 300  # a message being replayed is hidden this long from other receivers
RESERVE_SECONDS = 60  # stop taking messages with this much time left

Consumer = Callable[[dict[str, Any], Any], Any]


@dataclass
class Report:
    replayed: list[str] = field(default_factory=list)  # message ids deleted after a full replay
    records: int = 0  # records passed to the consumer
    failed: list[dict[str, Any]] = field(default_factory=list)  # {message_id, reason}
    expired: list[dict[str, Any]] = field(default_factory=list)  # {message_id, shard_id, start, end}
    skipped: list[dict[str, Any]] = field(default_factory=list)  # not a batch of this consumer
    left_in_queue: bool = False  # stopped for time with messages possibly left

    def as_dict(self) -> dict[str, Any]:
        return {
            "replayed_messages": len(self.replayed),
            "records": self.records,
            "failed": self.failed,
            "expired": self.expired,
            "skipped": self.skipped,
            "stopped_for_time": self.left_in_queue,
        }


class Expired(Exception):
    """The stream no longer holds the batch's records (older than 24 hours, or the shard is gone)."""


def batch_info(body: str) -> dict[str, Any] | None:
    """The DDBStreamBatchInfo of an on-failure message, or None when it is not one."""
    try:
        message = json.loads(body)
    except ValueError:
        return None
    info = message.get("DDBStreamBatchInfo") if isinstance(message, dict) else None
    if not isinstance(info, dict) or not all(isinstance(info.get(k), str) for k in ("streamArn", "shardId", "startSequenceNumber", "endSequenceNumber")):
        return None
    return {**info, "functionArn": (message.get("requestContext") or {}).get("functionArn")}


def batch_records(streams: Any, info: dict[str, Any], region: str) -> Iterator[list[dict[str, Any]]]:
    """The records of the batch's sequence range, in Lambda's shape, in pages."""
    from botocore.exceptions import ClientError

    arn, start, end = info["streamArn"], info["startSequenceNumber"], int(info["endSequenceNumber"])
    try:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=info["shardId"], ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=start)["ShardIterator"]
    except ClientError as error:
        if error.response["Error"]["Code"] in ("TrimmedDataAccessException", "ResourceNotFoundException", "ValidationException"):
            raise Expired(error.response["Error"].get("Message") or error.response["Error"]["Code"]) from None
        raise
    first, empty_pages = True, 0
    while iterator:
        response = streams.get_records(ShardIterator=iterator, Limit=RECORDS_PER_CALL)
        records = response.get("Records", [])
        iterator = response.get("NextShardIterator")
        if not records:  # an open shard may answer empty pages before its records
            empty_pages += 1
            if first and (iterator is None or empty_pages > MAX_EMPTY_PAGES):
                raise Expired(f"the shard holds no records from {start}")
            if empty_pages > MAX_EMPTY_PAGES:
                return
            continue
        if first and int(records[0]["dynamodb"]["SequenceNumber"]) > int(start):
            raise Expired(f"the shard no longer starts at or before {start}")  # trimmed: the first records are gone
        first = False
        page = [lambda_record(r, arn, region) for r in records if int(r["dynamodb"]["SequenceNumber"]) <= end]
        if page:
            yield page
        if len(page) < len(records):
            return  # past the end of the range


def replay(consumer: Consumer, queue_name: str, consumer_arn: str | None = None, context: Any = None, *, sqs: Any = None, streams: Any = None) -> Report:
    """Replay every on-failure message of `queue_name` through `consumer` (a stream handler)."""
    import boto3

    sqs = sqs or boto3.client("sqs")
    streams = streams or boto3.client("dynamodbstreams")
    region = streams.meta.region_name
    queue_url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    report = Report()
    seen: set[str] = set()
    left: list[str] = []  # receipt handles of messages kept: visible again when the run ends
    try:
        while True:
            if _out_of_time(context):
                report.left_in_queue = True
                return report
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=RECEIVE_BATCH, VisibilityTimeout=VISIBILITY_SECONDS, WaitTimeSeconds=0).get("Messages", [])
            fresh = [m for m in messages if m["MessageId"] not in seen]
            if not fresh:
                return report
            for message in fresh:
                seen.add(message["MessageId"])
                if not _replay_message(consumer, message, consumer_arn, context, sqs, queue_url, streams, region, report):
                    left.append(message["ReceiptHandle"])
    finally:
        for receipt in left:
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=0)


def _replay_message(consumer: Consumer, message: dict[str, Any], consumer_arn: str | None, context: Any, sqs: Any, queue_url: str, streams: Any, region: str, report: Report) -> bool:
    """True when the message was replayed in full and deleted."""
    message_id = message["MessageId"]
    info = batch_info(message.get("Body") or "")
    if info is None or (consumer_arn and info.get("functionArn") and info["functionArn"] != consumer_arn):
        reason = "not an on-failure message of a stream batch" if info is None else f"a batch of {info['functionArn']}"
        report.skipped.append({"message_id": message_id, "reason": reason})
        return False
    try:
        for page in batch_records(streams, info, region):
            for start in range(0, len(page), CONSUMER_BATCH):
                chunk = page[start : start + CONSUMER_BATCH]
                try:
                    result = consumer({"Records": chunk}, context) or {}
                except Exception as error:  # noqa: BLE001 - the consumer failing again is reported, not raised
                    report.failed.append({"message_id": message_id, "reason": f"the consumer failed again: {type(error).__name__}: {error}"})
                    return False
                report.records += len(chunk)
                if result.get("batchItemFailures"):
                    report.failed.append({"message_id": message_id, "reason": f"{len(result['batchItemFailures'])} record(s) failed again"})
                    return False
    except Expired as error:
        report.expired.append({"message_id": message_id, "shard_id": info["shardId"], "start": info["startSequenceNumber"], "end": info["endSequenceNumber"], "reason": str(error)})
        return False
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    report.replayed.append(message_id)
    return True


def _out_of_time(context: Any) -> bool:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return bool(remaining and remaining() < RESERVE_SECONDS * 1000)


def on_failure_message(function_arn: str, stream_arn: str, shard_id: str, records: list[dict[str, Any]], attempts: int) -> dict[str, Any]:
    """The message Lambda sends to a stream source's on-failure destination (for the local runner
    and tests; AWS writes it itself)."""
    sequences = [r["dynamodb"]["SequenceNumber"] for r in records]
    arrivals = [r["dynamodb"].get("ApproximateCreationDateTime") for r in records]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    return {
        "requestContext": {"requestId": _uuid(), "functionArn": function_arn, "condition": "RetryAttemptsExhausted", "approximateInvokeCount": attempts},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": stamp,
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": min(sequences, key=int),
            "endSequenceNumber": max(sequences, key=int),
            "approximateArrivalOfFirstRecord": _iso(arrivals[0]),
            "approximateArrivalOfLastRecord": _iso(arrivals[-1]),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


def _iso(epoch: Any) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(epoch))) if epoch is not None else None


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The replay function: every message of the consumer's on-failure queue, through the consumer."""
    import os

    from aws_lambda_powertools import Logger

    from activity_tracker.stream.consumer import handler as consumer

    logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "activity-tracker"))
    report = replay(consumer, os.environ["DEAD_LETTER_QUEUE_NAME"], os.environ.get("CONSUMER_FUNCTION_ARN"), context)
    result = report.as_dict()
    logger.info("stream replay", extra=result)
    return result
