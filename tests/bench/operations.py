"""Operators' tools: what a stream replay and a counter recount cost, in DynamoDB calls and capacity."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from tests.bench import BenchEnv, count_calls, table
from tests.helpers import make_user
from tests.stream_helpers import STREAM_FUNCTION, counters, expected_counters, recorded

USERS = 20
ACTIVITIES = 400
TYPES = ("meeting", "home_visit", "phone_call", "course")


def _organization(env: BenchEnv) -> str:
    org = f"bench-ops-{uuid.uuid4().hex[:8]}"
    people = [make_user(env.api, org) for _ in range(USERS)]
    for n in range(ACTIVITIES):
        k = n // USERS
        day = f"2026-{9 + k // 28:02d}-{1 + k % 28:02d}"
        reply = env.api.call("POST", "/api/activities", people[n % USERS], {"activity_date": day, "activity_type": TYPES[n % len(TYPES)], "duration_minutes": 15 + n % 60})
        assert reply.status == 201, reply.body
    return org


def _function(env: BenchEnv, logical_id: str) -> Any:
    return next(f for f in env.api.stack.functions if f.logical_id == logical_id)


def _queue_failed_batch(env: BenchEnv, records: list[dict[str, Any]]) -> None:
    import boto3

    from activity_tracker.stream.replay import on_failure_message

    arn = records[0]["eventSourceARN"]
    shard = boto3.client("dynamodbstreams").describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][-1]["ShardId"]
    message = on_failure_message(env.api.stack.resolve({"Fn::GetAtt": [STREAM_FUNCTION, "Arn"]}), arn, shard, records, 11)
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=env.api.stack.physical_name("StreamDeadLetterQueue"))["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(message))


def _run(env: BenchEnv, logical_id: str, event: dict[str, Any]) -> tuple[Any, Any, float]:
    with count_calls() as calls:
        started = time.perf_counter()
        result = env.api.handlers.invoke(_function(env, logical_id), event)
        elapsed = time.perf_counter() - started
    return result, calls, elapsed


def _row(run: str, outcome: str, calls: Any, elapsed: float) -> list[Any]:
    return [run, outcome, calls.total, calls.describe(), f"{calls.read_units:.0f} / {calls.write_units:.0f}", f"{elapsed:.1f}"]


def run(env: BenchEnv) -> str:
    org = _organization(env)
    records = recorded(env.api.stack, org)
    rows = []

    # a failed batch of the consumer (the last 100 records, as one event source batch), replayed
    batch = records[-100:]
    _queue_failed_batch(env, batch)
    result, calls, elapsed = _run(env, "StreamReplayFunction", {})
    assert result["replayed_messages"] == 1, result
    rows.append(_row(f"replay a failed batch of {len(batch)} records (never applied)", f"{result['records']}", calls, elapsed))
    _queue_failed_batch(env, batch)
    result, calls, elapsed = _run(env, "StreamReplayFunction", {})
    rows.append(_row("replay the same batch again (every record already applied)", f"{result['records']}", calls, elapsed))

    # the rest never applied: the recount puts the counters right
    event = {"organization_id": org, "quiet_seconds": 0}
    result, calls, elapsed = _run(env, "StatsRecountFunction", event)
    (done,) = result["results"]
    assert done["status"] == "done" and counters(org) == expected_counters(org), done
    rows.append(_row(f"recount: {ACTIVITIES} activities, {USERS} users, counters wrong", f"{len(done['corrected'])} corrected", calls, elapsed))
    result, calls, elapsed = _run(env, "StatsRecountFunction", event)
    (done,) = result["results"]
    assert done["corrected"] == [], done
    rows.append(_row("recount again: counters right", "0 corrected", calls, elapsed))

    return (
        "## Operators' tools: replay and recount\n\n"
        f"One organization of {USERS} users and {ACTIVITIES} activities whose stream records the consumer never applied. "
        "Capacity units are estimated from item sizes by DynamoDB's rules (moto reports none); a replay also reads the stream "
        "(GetShardIterator, GetRecords: not capacity units) and the queue. Seconds are the local store's.\n\n"
        + table(["run", "records / result", "AWS calls", "operations", "read / write units", "seconds"], rows)
        + "\n\nA replay of records already applied writes nothing (the markers say so); a recount of right counters writes nothing. "
        "A recount costs one Query per user partition plus the organization's activities: it grows with the organization, not with the error."
    )
