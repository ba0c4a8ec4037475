"""Polls the table's DynamoDB stream and invokes the stream handlers of template.yaml, as Lambda's
event source mapping does: filter criteria, batch size, partial batch failures and bounded retries.
Delivery is at least once, in order per shard, like AWS."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from activity_tracker.stream.images import lambda_record
from local.filters import matches

if TYPE_CHECKING:
    from local.runner import Handlers
    from local.template import Function, Stack, StreamSource

log = logging.getLogger("local.streams")


class StreamPoller:
    def __init__(self, stack: Stack, handlers: Handlers, interval: float = 0.2, reopen_when_idle: bool = False, endpoint: str | None = None):
        self.stack, self.handlers, self.interval = stack, handlers, interval
        self.endpoint = endpoint  # the stream's own endpoint: Lambda reads it, not our code
        self.idle_polls = 0  # consecutive polls that found no record on any shard
        self.batches = 0  # batches delivered (each retry counts)
        self.sent_to_destination = 0  # batches given up on, to the on-failure queue
        self.reopen_when_idle = reopen_when_idle  # moto's DynamoDB only
        self.consumers = [(fn, source) for fn in stack.functions for source in fn.streams]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.consumers:
            self._thread = threading.Thread(target=self._run, name="stream-poller", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        import boto3
        from botocore.exceptions import ClientError

        dynamodb = boto3.client("dynamodb", endpoint_url=self.endpoint)
        streams = boto3.client("dynamodbstreams", endpoint_url=self.endpoint)
        region = dynamodb.meta.region_name
        arns = [dynamodb.describe_table(TableName=args["TableName"])["Table"]["LatestStreamArn"] for _, args in self.stack.tables()]
        # Position per (consumer, shard): each event source mapping reads the stream on its own.
        positions: dict[tuple[int, str, str], str | None] = {}
        last_seen: dict[tuple[int, str, str], str] = {}
        finished: set[tuple[int, str, str]] = set()  # closed shards read to their end
        while not self._stop.is_set():
            moved = False
            for arn in arns:
                try:
                    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
                except Exception:
                    if self._stop.is_set():
                        return
                    raise
                for shard in shards:  # parents before children, as DescribeStream lists them
                    for index, (function, source) in enumerate(self.consumers):
                        key = (index, arn, shard["ShardId"])
                        if key in finished:
                            continue
                        if positions.get(key) is None:
                            after = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last_seen[key]} if key in last_seen else {"ShardIteratorType": "TRIM_HORIZON"}
                            positions[key] = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], **after)["ShardIterator"]
                        try:
                            response = streams.get_records(ShardIterator=positions[key], Limit=source.batch_size)
                        except ClientError as error:
                            if error.response["Error"]["Code"] not in ("ExpiredIteratorException", "TrimmedDataAccessException"):
                                raise
                            positions[key] = None  # re-open after the last record delivered
                            continue
                        records = [lambda_record(r, arn, region) for r in response.get("Records", [])]
                        log.debug("%s: %d records from %s", function.logical_id, len(records), shard["ShardId"])
                        if records:
                            moved = True
                            last_seen[key] = records[-1]["dynamodb"]["SequenceNumber"]
                            self._deliver(function, source, [r for r in records if not source.filters or any(matches(p, r) for p in source.filters)], shard["ShardId"])
                        positions[key] = response.get("NextShardIterator")
                        if positions[key] is None:
                            finished.add(key)
                        elif not records and self.reopen_when_idle:
                            # moto restores a deep copy of the table when a transaction is cancelled,
                            # which strands open iterators on the old copy (DynamoDB needs no such thing)
                            positions[key] = None
            self.idle_polls = 0 if moved else self.idle_polls + 1
            if not moved:
                self._stop.wait(self.interval)

    def status(self) -> dict[str, int | bool]:
        """For `GET /_local/stream`: `drained` once two polls in a row found nothing new."""
        return {"drained": self.idle_polls >= 2, "idle_polls": self.idle_polls, "batches": self.batches, "sent_to_destination": self.sent_to_destination}

    def _deliver(self, function: Function, source: StreamSource, records: list[dict[str, Any]], shard_id: str = "shardId-local") -> None:
        """Invoke until the batch succeeds; retry from the first failed record, at most max_retries times."""
        attempt = 0
        while records and not self._stop.is_set():
            self.batches += 1
            try:
                result = self.handlers.invoke(function, {"Records": records})
                failures = [f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])] if source.report_failures else []
            except Exception:
                log.exception("%s failed on a batch of %d", function.logical_id, len(records))
                failures = [records[0]["dynamodb"]["SequenceNumber"]]
            if not failures:
                return
            log.warning("%s reported %d failed record(s) of %d; retrying from the first", function.logical_id, len(failures), len(records))
            first = min(range(len(records)), key=lambda i: (records[i]["dynamodb"]["SequenceNumber"] not in failures, i))
            records = records[first:]
            attempt += 1
            if attempt > source.max_retries:
                log.error("%s: %d records sent to the on-failure destination", function.logical_id, len(records))
                self.sent_to_destination += 1
                self._send_on_failure(function, source, records, shard_id, attempt)
                return
            time.sleep(min(0.05 * 2**attempt, 1.0))

    def _send_on_failure(self, function: Function, source: StreamSource, records: list[dict[str, Any]], shard_id: str, attempts: int) -> None:
        """What Lambda sends to the on-failure destination: a description of the batch, not its records."""
        if not source.on_failure_queue:
            return
        import json

        import boto3

        from activity_tracker.stream.replay import on_failure_message

        message = on_failure_message(self.stack.resolve({"Fn::GetAtt": [function.logical_id, "Arn"]}), records[0]["eventSourceARN"], shard_id, records, attempts)
        sqs = boto3.client("sqs")
        for attempt in range(5):  # Lambda retries its destination too
            try:
                queue_url = sqs.get_queue_url(QueueName=source.on_failure_queue)["QueueUrl"]
                sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(message))
                return
            except Exception:
                log.warning("%s: on-failure destination unreachable (attempt %d)", function.logical_id, attempt + 1, exc_info=True)
                time.sleep(0.2 * 2**attempt)
