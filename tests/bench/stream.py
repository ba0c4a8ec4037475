"""Stream consumer: records per second and DynamoDB writes per record, on recorded batches."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

from tests.bench import BenchEnv, table
from tests.helpers import make_user
from tests.stream_helpers import STREAM_FUNCTION, counters, expected_counters, recorded

USERS = 10
ACTIVITIES = 300
EDITS = 100
BATCH = 100  # BatchSize of the event source mapping in template.yaml
BACKLOG = int(os.environ.get("BENCH_STREAM_BACKLOG", "10000"))  # records of a consumer that fell behind
TYPES = ("meeting", "home_visit", "phone_call", "course")


@contextlib.contextmanager
def writes() -> Iterator[Counter[str]]:
    """Counts DynamoDB write actions by kind: items inside TransactWriteItems and single writes."""
    import botocore.client

    tally: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
        tally[f"call {operation}"] += 1
        if operation == "TransactWriteItems":
            for action in params.get("TransactItems", []):
                kind = next(iter(action))
                sk = action[kind].get("Key", action[kind].get("Item", {})).get("sk", {}).get("S", "")
                tally["tx marker put" if kind == "Put" else "tx counter update" if sk.startswith("STATS#") else "tx user update"] += 1
        elif operation in ("UpdateItem", "PutItem", "DeleteItem"):
            tally[f"single {operation}"] += 1
        started = time.perf_counter()
        try:
            return original(self, operation, params)
        finally:
            tally[f"ms {operation}"] += round((time.perf_counter() - started) * 1000)

    botocore.client.BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield tally
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def _workload(env: BenchEnv, org: str) -> None:
    people = [make_user(env.api, org) for _ in range(USERS)]
    ids = []
    for n in range(ACTIVITIES):
        k = n // USERS  # the user's k-th activity: a day of its own (no hard duplicates)
        day = f"2026-{9 + k // 28:02d}-{1 + k % 28:02d}"
        reply = env.api.call("POST", "/api/activities", people[n % USERS], {"activity_date": day, "activity_type": TYPES[n % len(TYPES)], "duration_minutes": 15 + n % 60})
        assert reply.status == 201, reply.body
        ids.append((reply.body["id"], people[n % USERS]))
    for n, (activity_id, who) in enumerate(ids[:EDITS]):
        body = {"duration_minutes": 45} if n % 2 else {"activity_date": "2026-08-15"}
        env.api.call("PATCH", f"/api/activities/{activity_id}", who, body)


def _deliver(env: BenchEnv, records: list[dict[str, Any]]) -> tuple[float, Counter[str], int]:
    function = next(f for f in env.api.stack.functions if f.logical_id == STREAM_FUNCTION)
    handler = env.api.handlers.get(function)
    with writes() as tally:
        started = time.perf_counter()
        for start in range(0, len(records), BATCH):
            result = handler({"Records": records[start : start + BATCH]}, None)
            assert not result["batchItemFailures"], result
        elapsed = time.perf_counter() - started
    return elapsed, tally, (len(records) + BATCH - 1) // BATCH


def _distinct_counters(records: list[dict[str, Any]]) -> int:
    """The lower bound: distinct counters touched per batch, summed over the batches."""
    from activity_tracker.stream.deltas import delta, merge
    from activity_tracker.stream.images import change_of

    total = 0
    for start in range(0, len(records), BATCH):
        merged: dict[Any, dict[str, int]] = {}
        for record in records[start : start + BATCH]:
            change = change_of(record)
            merge(merged, delta(change.old, change.new))
        total += sum(1 for fields in merged.values() if any(fields.values()))
    return total


def run(env: BenchEnv) -> str:
    env.api.handlers.get(next(f for f in env.api.stack.functions if f.logical_id == STREAM_FUNCTION))  # import outside the timing
    org = f"bench-stream-{uuid.uuid4().hex[:8]}"
    _workload(env, org)
    records = recorded(env.api.stack, org)
    floor = _distinct_counters(records)
    rows = []
    for label in ("first delivery", "the same batches again (redelivery)"):
        elapsed, tally, batches = _deliver(env, records)
        n = len(records)
        counter_writes = tally["tx counter update"] + tally["tx user update"]
        all_writes = counter_writes + tally["tx marker put"] + tally["single UpdateItem"] + tally["single PutItem"]
        in_aws = sum(v for k, v in tally.items() if k.startswith("ms ")) / 1000
        rows.append(
            [
                label, n, batches, f"{n / elapsed:.0f}", f"{tally['ms TransactWriteItems'] / 1000:.1f} of {elapsed:.1f}", f"{n / max(elapsed - in_aws, 1e-6):.0f}", tally["call TransactWriteItems"], tally["tx marker put"], counter_writes,
                f"{counter_writes / n:.2f}", f"{all_writes / n:.2f}", f"{2 * all_writes / n:.2f}", f"{tally['call BatchGetItem']}",
            ]
        )  # fmt: skip
    exact = counters(org) == expected_counters(org)
    backlog_org = f"bench-backlog-{uuid.uuid4().hex[:8]}"
    _backlog(backlog_org, BACKLOG, [make_user(env.api, backlog_org).sub for _ in range(50)])
    backlog = recorded(env.api.stack, backlog_org)
    elapsed, tally, batches = _deliver(env, backlog)
    in_aws = sum(v for k, v in tally.items() if k.startswith("ms ")) / 1000
    backlog_exact = counters(backlog_org) == expected_counters(backlog_org)
    return (
        "## Stream consumer\n\n"
        f"{USERS} users, {ACTIVITIES} activities created through the API over two months, {EDITS} of them edited (half change the date "
        f"and move month, half the duration); the {len(records)} stream records the consumer's filters let through are replayed "
        f"through the handler in batches of {BATCH} (the event source mapping's BatchSize), in one thread, against DynamoDB Local. "
        "Counter writes are one `Update` per distinct counter per transaction; each applied record also writes its marker `Put` in the "
        "same transaction. The consumer's own time is the column outside AWS calls. Write units assume items under 1 KB: a "
        "transactional write costs 2.\n\n"
        + table(
            ["delivery", "records", "batches", "records/s", "s in TransactWriteItems", "records/s outside AWS calls", "TransactWriteItems", "marker puts", "counter updates", "counter writes/record", "all writes/record", "WCU/record", "BatchGetItem"],
            rows,
        )
        + f"\n\nLower bound (distinct counters touched per batch, summed): {floor} counter writes, {floor / len(records):.2f} per record. "
        f"Counters after both deliveries equal counters recomputed from the items: {'yes' if exact else 'NO'}.\n\n"
        f"**A backlog of {len(backlog):,} records** (a consumer that fell behind: {BACKLOG:,} approved activities of 50 mentors over "
        f"ten months written at once, then the stream read and delivered in {batches} batches): {len(backlog) / elapsed:,.0f} records/s "
        f"({elapsed:.1f} s, of which {in_aws:.1f} s in DynamoDB calls; {len(backlog) / max(elapsed - in_aws, 1e-6):,.0f} records/s of "
        f"the consumer's own CPU), {tally['call TransactWriteItems']} TransactWriteItems. On moto's DynamoDB the consumer managed tens "
        f"of records per second. Counters equal counters recomputed from the items: {'yes' if backlog_exact else 'NO'}."
    )


def _backlog(org: str, n: int, mentors: list[str]) -> None:
    """n approved activities of `mentors` over ten months, written as the repository writes them."""
    import boto3

    from activity_tracker.repository.activities import build
    from activity_tracker.repository.table import TABLE_NAME

    client = boto3.client("dynamodb")
    for start in range(0, n, 25):
        puts = []
        for i in range(start, min(start + 25, n)):
            day = f"2026-{1 + i % 10:02d}-{1 + i % 28:02d}"
            moment = f"{day}T10:00:00.000Z"
            state = {
                "id": str(uuid.uuid4()), "organization_id": org, "user_id": mentors[i % len(mentors)], "registered_by_user_id": mentors[i % len(mentors)],
                "activity_date": moment, "local_date": day, "duration_minutes": 15 + i % 90, "activity_type": TYPES[i % len(TYPES)],
                "status": "approved", "bufdir_eligible": True, "created_at": moment, "updated_at": moment, "version": 2,
            }  # fmt: skip
            puts.append({"PutRequest": {"Item": build(state).serialize()}})
        request = {TABLE_NAME: puts}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
