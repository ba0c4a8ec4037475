"""Applies a batch's counter deltas exactly once per stream record.

Each applied record leaves a marker item `STREAMREC#<eventID>` (TTL two days, longer than the
stream's 24 h), written in the same transaction as the counter updates it caused. A redelivered
record finds its marker and adds nothing; a batch that failed half-way is retried and only the
records without a marker are applied. Deltas are summed per counter before writing, so each
transaction updates each counter it touches once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from activity_tracker import keys
from activity_tracker.repository.table import TABLE_NAME, connection
from activity_tracker.stream import deltas as counter_deltas
from activity_tracker.stream.images import Change

MAX_ACTIONS = 100  # TransactWriteItems' limit
MARKER_TTL_SECONDS = 2 * 24 * 3600
MAX_ATTEMPTS = 4


def marker_key(event_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"STREAMREC#{event_id}"}, "sk": {"S": "STREAMREC"}}


@dataclass
class Outcome:
    applied: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)  # event ids
    transactions: int = 0
    counter_writes: int = 0


def _already_applied(client: Any, event_ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(event_ids), 100):
        request: dict[str, Any] = {TABLE_NAME: {"Keys": [marker_key(e) for e in event_ids[start : start + 100]], "ConsistentRead": True, "ProjectionExpression": "pk"}}
        while request:
            response = client.batch_get_item(RequestItems=request)
            found |= {item["pk"]["S"].split("#", 1)[1] for item in response.get("Responses", {}).get(TABLE_NAME, [])}
            request = response.get("UnprocessedKeys") or {}
    return found


def _chunks(changes: list[tuple[Change, counter_deltas.Deltas]]) -> list[list[tuple[Change, counter_deltas.Deltas]]]:
    """Consecutive records whose markers plus distinct counters fit in one transaction."""
    chunks: list[list[tuple[Change, counter_deltas.Deltas]]] = []
    current: list[tuple[Change, counter_deltas.Deltas]] = []
    counters: set[tuple[str, str]] = set()
    for change, delta in changes:
        touched = counters | set(delta)
        if current and len(current) + 1 + len(touched) > MAX_ACTIONS:
            chunks.append(current)
            current, touched = [], set(delta)
        current.append((change, delta))
        counters = touched
    if current:
        chunks.append(current)
    return chunks


def _counter_update(key: tuple[str, str], fields: dict[str, int]) -> dict[str, Any]:
    names = {"#type": "type"}
    values: dict[str, Any] = {}
    adds = []
    for n, (name, amount) in enumerate(sorted(fields.items())):
        names[f"#f{n}"] = name
        values[f":v{n}"] = {"N": str(amount)}
        adds.append(f"#f{n} :v{n}")
    update: dict[str, Any] = {"TableName": TABLE_NAME, "Key": {"pk": {"S": key[0]}, "sk": {"S": key[1]}}, "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}
    if key[1] == keys.PROFILE_SK:  # total_classes on an existing user; never create a stub profile
        update["UpdateExpression"] = "ADD " + ", ".join(adds)
        update["ConditionExpression"] = "attribute_exists(pk)"
        del names["#type"]
    else:
        values[":counter"] = {"S": "COUNTER"}
        update["UpdateExpression"] = "SET #type = :counter ADD " + ", ".join(adds)
    return {"Update": update}


def _totals(chunk: list[tuple[Change, counter_deltas.Deltas]]) -> counter_deltas.Deltas:
    totals: counter_deltas.Deltas = {}
    for _, delta in chunk:
        counter_deltas.merge(totals, delta)
    nonzero = {key: {n: v for n, v in fields.items() if v} for key, fields in totals.items()}
    return {key: fields for key, fields in sorted(nonzero.items()) if fields}


def _actions(chunk: list[tuple[Change, counter_deltas.Deltas]]) -> list[dict[str, Any]]:
    """One marker Put per record, then one Update per counter the chunk touches."""
    expires = str(int(time.time()) + MARKER_TTL_SECONDS)
    markers = [
        {"Put": {"TableName": TABLE_NAME, "Item": {**marker_key(change.event_id), "type": {"S": "STREAM_MARKER"}, "sequence": {"S": change.sequence}, "expires_at": {"N": expires}},
                 "ConditionExpression": "attribute_not_exists(pk)"}}
        for change, _ in chunk
    ]  # fmt: skip
    return markers + [_counter_update(key, fields) for key, fields in _totals(chunk).items()]


def apply(changes: list[Change]) -> Outcome:
    """Apply the counter deltas of `changes` (one stream batch, in order) exactly once."""
    from botocore.exceptions import ClientError

    outcome = Outcome()
    with_deltas = [(change, counter_deltas.delta(change.old, change.new)) for change in changes]
    relevant = [(c, d) for c, d in with_deltas if d]
    outcome.skipped = len(with_deltas) - len(relevant)
    if not relevant:
        return outcome
    client = connection().client
    pending = relevant
    for attempt in range(MAX_ATTEMPTS):
        done = _already_applied(client, [c.event_id for c, _ in pending])
        outcome.skipped += sum(1 for c, _ in pending if c.event_id in done)
        pending = [(c, d) for c, d in pending if c.event_id not in done]
        retry: list[tuple[Change, counter_deltas.Deltas]] = []
        for chunk in _chunks(pending):
            actions = _actions(chunk)
            try:
                client.transact_write_items(TransactItems=actions)
                outcome.transactions += 1
                outcome.counter_writes += len(actions) - len(chunk)
                outcome.applied += len(chunk)
            except ClientError as error:
                reasons = error.response.get("CancellationReasons") or []
                missing_profiles = {
                    (action["Update"]["Key"]["pk"]["S"], action["Update"]["Key"]["sk"]["S"])
                    for action, reason in zip(actions, reasons, strict=False)
                    if "Update" in action and reason.get("Code") == "ConditionalCheckFailed"
                }
                if missing_profiles:  # a user activity of a user that does not exist: drop that delta
                    chunk = [(c, {k: v for k, v in d.items() if k not in missing_profiles}) for c, d in chunk]
                retry.extend(chunk)
        if not retry:
            return outcome
        pending = retry
        time.sleep(0.05 * 2**attempt)
    outcome.failed = [c.event_id for c, _ in pending]
    return outcome

