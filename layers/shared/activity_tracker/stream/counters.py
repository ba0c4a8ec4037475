"""Applies a batch's counter deltas exactly once per stream record.

Each applied record leaves a marker item `STREAMREC#<eventID>` (TTL two days, longer than the
stream's 24 h), written in the same transaction as the counter updates it caused. A redelivered
record finds its marker and adds nothing; a batch that failed half-way is retried and only the
records without a marker are applied. Deltas are summed per counter before writing, so each
transaction updates each counter it touches once.

`active_users` of an organization month is a plain number, moved by ±1 in the same transaction
when a user month's `activity_count` crosses 0 <-> positive. The user month's count is read first
and its update is conditioned on it still being that number, so a concurrent writer (another shard)
makes the transaction fail and the chunk is re-read and retried: the crossing is never counted
twice or missed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from activity_tracker import keys
from activity_tracker.repository.table import TABLE_NAME, connection, write_transaction
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


def _is_user_month(key: tuple[str, str]) -> bool:
    return key[1].startswith("STATS#") and "#USER#" in key[0]


def _stored_counts(client: Any, counter_keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for start in range(0, len(counter_keys), 100):
        keys_ = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in counter_keys[start : start + 100]]
        request: dict[str, Any] = {TABLE_NAME: {"Keys": keys_, "ConsistentRead": True, "ProjectionExpression": "pk, sk, activity_count"}}
        while request:
            response = client.batch_get_item(RequestItems=request)
            for item in response.get("Responses", {}).get(TABLE_NAME, []):
                found[(item["pk"]["S"], item["sk"]["S"])] = int(item.get("activity_count", {}).get("N", "0"))
            request = response.get("UnprocessedKeys") or {}
    return found


def with_active_users(totals: counter_deltas.Deltas, stored: dict[tuple[str, str], int]) -> tuple[counter_deltas.Deltas, dict[tuple[str, str], int]]:
    """Adds `active_users` ±1 to an organization month for every user month whose count crosses
    0 <-> positive; returns the totals and the counts the user-month updates are conditioned on."""
    guards: dict[tuple[str, str], int] = {}
    out = {key: dict(fields) for key, fields in totals.items()}
    for key, fields in totals.items():
        if not (_is_user_month(key) and fields.get("activity_count")):
            continue
        before = stored.get(key, 0)
        guards[key] = before
        change = int(before + fields["activity_count"] > 0) - int(before > 0)
        if change:
            org_month = out.setdefault((key[0].split("#USER#", 1)[0], key[1]), {})
            org_month["active_users"] = org_month.get("active_users", 0) + change
    return dict(sorted(out.items())), guards


def _counter_update(key: tuple[str, str], fields: dict[str, int], guard: int | None = None) -> dict[str, Any]:
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
        if guard is not None:  # the count this update's active_users crossing was computed from
            names["#count"] = "activity_count"
            values[":guard"] = {"N": str(guard)}
            update["ConditionExpression"] = "attribute_not_exists(#count) OR #count = :guard" if guard == 0 else "#count = :guard"
    return {"Update": update}


def _totals(chunk: list[tuple[Change, counter_deltas.Deltas]]) -> counter_deltas.Deltas:
    totals: counter_deltas.Deltas = {}
    for _, delta in chunk:
        counter_deltas.merge(totals, delta)
    nonzero = {key: {n: v for n, v in fields.items() if v} for key, fields in totals.items()}
    return {key: fields for key, fields in sorted(nonzero.items()) if fields}


def _actions(chunk: list[tuple[Change, counter_deltas.Deltas]], client: Any = None) -> list[dict[str, Any]]:
    """One marker Put per record, then one Update per counter the chunk touches."""
    totals = _totals(chunk)
    moving = [key for key, fields in totals.items() if _is_user_month(key) and fields.get("activity_count")]
    totals, guards = with_active_users(totals, _stored_counts(client or connection().client, moving) if moving else {})
    expires = str(int(time.time()) + MARKER_TTL_SECONDS)
    markers = [
        {"Put": {"TableName": TABLE_NAME, "Item": {**marker_key(change.event_id), "type": {"S": "STREAM_MARKER"}, "sequence": {"S": change.sequence}, "expires_at": {"N": expires}},
                 "ConditionExpression": "attribute_not_exists(pk)"}}
        for change, _ in chunk
    ]  # fmt: skip
    return markers + [_counter_update(key, fields, guards.get(key)) for key, fields in totals.items() if fields]


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
            actions: list[dict[str, Any]] = []
            try:
                actions = _actions(chunk, client)
                write_transaction(client, actions)
                outcome.transactions += 1
                outcome.counter_writes += len(actions) - len(chunk)
                outcome.applied += len(chunk)
            except ClientError as error:
                reasons = error.response.get("CancellationReasons") or []
                missing_profiles = {
                    (action["Update"]["Key"]["pk"]["S"], action["Update"]["Key"]["sk"]["S"])
                    for action, reason in zip(actions, reasons, strict=False)
                    if "Update" in action and reason.get("Code") == "ConditionalCheckFailed" and action["Update"]["Key"]["sk"]["S"] == keys.PROFILE_SK
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
