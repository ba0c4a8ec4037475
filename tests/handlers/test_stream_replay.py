"""Replaying the consumer's failed batches (StreamReplayFunction) from its on-failure queue: the
counters come out exact however often a batch is replayed; what cannot be replayed is reported and
left in the queue; the local poller sends what Lambda sends when a batch fails every retry."""

from __future__ import annotations

import json
from typing import Any

import pytest

from activity_tracker.stream.replay import batch_info, on_failure_message
from local.streams import StreamPoller
from local.template import Function, Stack, StreamSource
from tests.helpers import Api, make_user
from tests.stream_helpers import STREAM_FUNCTION, counters, expected_counters, recorded

URL = "/api/activities"
REPLAY = "StreamReplayFunction"


def _function(stack: Stack, logical_id: str) -> Function:
    return next(f for f in stack.functions if f.logical_id == logical_id)


def _queue_url(stack: Stack) -> str:
    import boto3

    queue = _function(stack, STREAM_FUNCTION).streams[0].on_failure_queue
    assert queue, "the consumer's stream source has an on-failure destination"
    return boto3.client("sqs").get_queue_url(QueueName=queue)["QueueUrl"]


def _messages(stack: Stack) -> list[str]:
    """The bodies of the messages visible in the consumer's on-failure queue."""
    import boto3

    sqs = boto3.client("sqs")
    return [m["Body"] for m in sqs.receive_message(QueueUrl=_queue_url(stack), MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])]


@pytest.fixture(autouse=True)
def empty_queue(api: Api):
    import boto3

    sqs, url = boto3.client("sqs"), _queue_url(api.stack)
    while found := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", []):
        for message in found:  # PurgeQueue may run once a minute only
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    yield


def _shard_of(records: list[dict[str, Any]]) -> str:
    import boto3

    arn = records[0]["eventSourceARN"]
    shards = boto3.client("dynamodbstreams").describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    return shards[-1]["ShardId"]


def _fail(stack: Stack, records: list[dict[str, Any]], function_id: str = STREAM_FUNCTION) -> dict[str, Any]:
    """Puts on the queue what Lambda sends when the consumer gives up on `records`."""
    import boto3

    arn = stack.resolve({"Fn::GetAtt": [function_id, "Arn"]})
    message = on_failure_message(arn, records[0]["eventSourceARN"], _shard_of(records), records, attempts=11)
    boto3.client("sqs").send_message(QueueUrl=_queue_url(stack), MessageBody=json.dumps(message))
    return message


def _history(api: Api, org_id: str) -> None:
    mentor, coordinator = make_user(api, org_id), make_user(api, org_id, "coordinator")
    first = api.call("POST", URL, mentor, {"activity_date": "2026-11-02", "activity_type": "home_visit", "duration_minutes": 60}).body["id"]
    api.call("POST", URL, mentor, {"activity_date": "2026-10-30", "activity_type": "meeting", "duration_minutes": 30})
    api.call("PATCH", f"{URL}/{first}", mentor, {"duration_minutes": 75})
    api.call("POST", f"{URL}/{first}/review", coordinator, {"action": "approve"})
    api.call("POST", URL, coordinator, {"activity_date": "2026-11-03", "activity_type": "phone_call", "user_id": mentor.sub})


def _replay(api: Api) -> dict[str, Any]:
    return api.handlers.invoke(_function(api.stack, REPLAY), {})


def test_a_failed_batch_replayed_gives_exact_counters_and_leaves_the_queue(api: Api, org_id: str):
    _history(api, org_id)
    records = recorded(api.stack, org_id)
    _fail(api.stack, records)
    assert counters(org_id) == {}  # the consumer never applied them

    report = _replay(api)

    assert report["replayed_messages"] == 1 and not report["failed"] and not report["expired"]
    # the range also holds records the consumer's filters let through to no effect (users, the organization)
    assert report["records"] >= len(records)
    assert counters(org_id) == expected_counters(org_id) != {}
    assert _messages(api.stack) == []


def test_replaying_again_and_a_batch_that_was_partly_applied_count_once(api: Api, org_id: str):
    from tests.stream_helpers import consume

    _history(api, org_id)
    records = recorded(api.stack, org_id)
    consume(api, records[:2])  # the consumer got through part of the batch before it failed
    _fail(api.stack, records)
    _fail(api.stack, records)  # the same range twice (a replay run twice, or two failures)
    assert _replay(api)["replayed_messages"] == 2
    _fail(api.stack, records)
    assert _replay(api)["replayed_messages"] == 1
    assert counters(org_id) == expected_counters(org_id) != {}


class TrimmedStream:
    """DynamoDB Streams for a batch older than its 24 h: AWS answers TrimmedDataAccessException
    (DynamoDB Local cannot be made to trim: it keeps records for 24 h)."""

    class meta:
        region_name = "eu-north-1"

    def __init__(self, first_left: str | None = None):
        self.first_left = first_left  # trimmed from the front only: the shard now starts here

    def get_shard_iterator(self, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        if self.first_left is None:
            raise ClientError({"Error": {"Code": "TrimmedDataAccessException", "Message": "The operation attempted to read past the oldest stream record in a shard."}}, "GetShardIterator")
        return {"ShardIterator": "arn:aws:dynamodb:eu-north-1:000000000000:table/t/stream/x|1|it"}

    def get_records(self, **kwargs: Any) -> dict[str, Any]:
        record = {"eventID": "e", "eventName": "INSERT", "dynamodb": {"SequenceNumber": self.first_left, "Keys": {}}}
        return {"Records": [record], "NextShardIterator": None}


@pytest.mark.parametrize("stream", [TrimmedStream(), TrimmedStream(first_left="999999999999999999999999")], ids=["trimmed", "front-trimmed"])
def test_a_batch_the_stream_no_longer_holds_is_reported_expired_and_stays(api: Api, org_id: str, stream: TrimmedStream):
    from activity_tracker.stream.consumer import handler as consumer
    from activity_tracker.stream.replay import replay

    _history(api, org_id)
    records = recorded(api.stack, org_id)
    _fail(api.stack, records)

    report = replay(consumer, _queue_url(api.stack).rsplit("/", 1)[1], streams=stream).as_dict()

    assert report["replayed_messages"] == 0 and len(report["expired"]) == 1 and report["records"] == 0
    assert report["expired"][0]["start"] == records[0]["dynamodb"]["SequenceNumber"]
    assert counters(org_id) == {}
    assert len(_messages(api.stack)) == 1  # left for the operator


def test_a_message_of_another_function_or_not_a_batch_is_skipped_and_stays(api: Api, org_id: str):
    import boto3

    _history(api, org_id)
    records = recorded(api.stack, org_id)
    _fail(api.stack, records, function_id="JobsWorkerFunction")
    boto3.client("sqs").send_message(QueueUrl=_queue_url(api.stack), MessageBody="not json")

    report = _replay(api)

    assert report["replayed_messages"] == 0 and len(report["skipped"]) == 2
    assert counters(org_id) == {}
    assert len(_messages(api.stack)) == 2


def test_a_batch_that_fails_again_stays_in_the_queue(api: Api, org_id: str, monkeypatch):
    from activity_tracker.stream import counters as engine

    _history(api, org_id)
    records = recorded(api.stack, org_id)
    _fail(api.stack, records)
    monkeypatch.setattr(engine, "_chunks", lambda pending: (_ for _ in ()).throw(RuntimeError("still broken")))

    report = _replay(api)

    assert report["replayed_messages"] == 0 and len(report["failed"]) == 1
    monkeypatch.undo()
    assert _replay(api)["replayed_messages"] == 1  # visible again as soon as the first run ended
    assert counters(org_id) == expected_counters(org_id)


def test_the_local_poller_sends_what_lambda_sends_when_a_batch_fails_every_retry(api: Api, org_id: str):
    _history(api, org_id)
    records = recorded(api.stack, org_id)

    class Broken:
        def invoke(self, function: Function, event: dict[str, Any]) -> Any:
            raise RuntimeError("consumer bug")

    consumer = _function(api.stack, STREAM_FUNCTION)
    source = consumer.streams[0]
    poller = StreamPoller(api.stack, Broken(), interval=0)  # type: ignore[arg-type]
    quick = StreamSource(batch_size=source.batch_size, filters=source.filters, max_retries=1, report_failures=True, on_failure=source.on_failure)
    poller._deliver(consumer, quick, records, _shard_of(records))

    (body,) = _messages(api.stack)
    message, info = json.loads(body), batch_info(body)
    assert info is not None
    assert info["functionArn"] == api.stack.resolve({"Fn::GetAtt": [STREAM_FUNCTION, "Arn"]}) == _function(api.stack, REPLAY).environment["CONSUMER_FUNCTION_ARN"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (records[0]["dynamodb"]["SequenceNumber"], records[-1]["dynamodb"]["SequenceNumber"])
    assert info["batchSize"] == len(records) and message["requestContext"]["condition"] == "RetryAttemptsExhausted"

    assert _replay(api)["replayed_messages"] == 1
    assert counters(org_id) == expected_counters(org_id) != {}


def test_the_replay_function_may_read_only_its_own_queue(api: Api):
    """Least privilege: the replay's grants cover the consumer's queue, not the jobs' one."""
    from local import iam

    grants = iam.grants(api.stack, _function(api.stack, REPLAY))
    own = api.stack.resolve({"Fn::GetAtt": ["StreamDeadLetterQueue", "Arn"]})
    other = api.stack.resolve({"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]})
    assert any(g.allows("sqs:ReceiveMessage", own) for g in grants)
    assert not any(g.allows("sqs:ReceiveMessage", other) for g in grants)
    assert not any(g.allows("sqs:SendMessage", own) for g in grants)
