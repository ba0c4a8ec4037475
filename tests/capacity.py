"""What a request costs DynamoDB, partition by partition: a botocore hook for benchmarks and the scale
model's check (tests/bench/capacity.py, tests/handlers/test_scale_model.py).

Inside `capture()` every DynamoDB call made through botocore is counted and asks for
`ReturnConsumedCapacity=INDEXES`. Reads are charged what DynamoDB reports (DynamoDB Local does report
it, per table and index). Writes are charged from the item's images, read around the call with a
consistent GetItem the counters never see: the base table ceil(larger image / 1 KB), each index the
delete of the old entry and the put of the new one when its key moved (one put when it stayed), all
doubled inside a transaction. DynamoDB Local's own figure for a single PutItem/UpdateItem/DeleteItem
is compared with that computation (`engine_agrees`/`engine_differs`); for TransactWriteItems it is
not usable: DynamoDB Local 2.x reports one action's units, not the sum (checked 2026-12-01: two Puts
of 3 KB report 6 units, one Put of 3 KB reports 6 units too).

Each unit is filed under the index it lands in and the *pattern* of the partition key it hits,
ids replaced by their kind (`ORG#{org}#ACT`, `ORG#{org}#STATUS#approved`), with the key's scope:
`item`, `user`, `organization` or `global`: how many of those partitions there are, so the scale
model can tell how much traffic the hottest one takes.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Key literals followed by an id (the placeholder names it) and literals that stand alone.
_VALUED = {
    "ORG": "org", "USER": "user", "ACT": "activity", "CONTACT": "contact", "LOCAL": "local_id", "EMAIL": "email",
    "IDEM": "key", "TASK": "task", "CLASS": "class", "EXPORT": "export", "STREAMREC": "event", "STATUS": None,
}  # fmt: skip
_ALONE = {"USERS", "CONTACTS", "TASKS", "CLASSES", "EXPORTS", "CHANGES", "DELETED", "EXPORTLIMITS", "ORGS", "UNFINISHED"}
_ITEM_KINDS = {"activity", "contact", "local_id", "email", "key", "task", "class", "export", "event", "slot"}
GSIS = ("gsi1", "gsi2", "gsi3", "gsi4", "gsi5")
CONSUMED_TYPES = ("ACTIVITY", "USER_ACTIVITY", "HOME_VISIT_REPORT")  # what the stream consumer's filters let through


def key_pattern(pk: str) -> tuple[str, str]:
    """(pattern, scope) of a partition key value: `ORG#o1#USER#u7#ACT` -> (`ORG#{org}#USER#{user}#ACT`, `user`).
    A review status is a literal (few values, each its own partition); a hard-duplicate slot is one item."""
    tokens, out, kinds, i = pk.split("#"), [], set(), 0
    while i < len(tokens):
        token = tokens[i]
        if token == "DUP":
            out.append("DUP#{slot}")
            kinds.add("slot")
            break
        if token in _VALUED and i + 1 < len(tokens) and tokens[i + 1] not in _VALUED and tokens[i + 1] not in _ALONE:
            kind = _VALUED[token]
            out.append(f"{token}#{{{kind}}}" if kind else f"{token}#{tokens[i + 1]}")
            if kind:
                kinds.add(kind)
            i += 2
            continue
        out.append(token if (token in _VALUED or token in _ALONE) else "{id}")
        kinds.update(() if (token in _VALUED or token in _ALONE) else ("slot",))
        i += 1
    scope = "item" if kinds & _ITEM_KINDS else "user" if "user" in kinds else "organization" if "org" in kinds else "global"
    return "#".join(out), scope


def item_size(item: dict[str, Any] | None) -> int:
    """DynamoDB's item size in bytes (attribute names plus values, by its published rules)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in (item or {}).items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = inner.lstrip("-").replace(".", "").strip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    if kind == "NS":
        return sum(_value_size({"N": n}) for n in inner)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in inner.items())
    return len(str(inner))


@dataclass
class Capture:
    """Calls, units by (index, key pattern, scope), stream records, within one `capture()`."""

    calls: Counter[str] = field(default_factory=Counter)
    units: dict[tuple[str, str, str], list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0, 0.0]))
    stream_records: int = 0  # items that changed: one stream record each
    consumer_records: int = 0  # of those, the ones the stream consumer's filters let through
    engine_agrees: int = 0
    engine_differs: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def total_calls(self) -> int:
        return sum(n for name, n in self.calls.items() if not name.endswith("(refused)"))

    @property
    def read_units(self) -> float:
        return sum(r for r, _ in self.units.values())

    @property
    def write_units(self) -> float:
        return sum(w for _, w in self.units.values())

    def add(self, index: str, pk: str, reads: float = 0.0, writes: float = 0.0) -> None:
        pattern, scope = key_pattern(pk)
        entry = self.units[(index, pattern, scope)]
        entry[0] += reads
        entry[1] += writes


_active: list[Capture] = []
_inside = threading.local()


def _pk_attribute(index: str | None) -> str:
    return f"{index}pk" if index and index.startswith("gsi") else "pk"


def _query_partition(params: dict[str, Any]) -> str:
    import re

    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    wanted = _pk_attribute(params.get("IndexName"))
    for name, placeholder in re.findall(r"(#?[\w]+)\s*=\s*(:[\w]+)", params.get("KeyConditionExpression", "")):
        if names.get(name, name) == wanted:
            return str(values[placeholder]["S"])
    return "?"


def _read_units(consumed: dict[str, Any], index: str | None) -> float:
    if index and index in (consumed.get("GlobalSecondaryIndexes") or {}):
        return float(consumed["GlobalSecondaryIndexes"][index]["CapacityUnits"])
    if index and index in (consumed.get("LocalSecondaryIndexes") or {}):
        return float(consumed["LocalSecondaryIndexes"][index]["CapacityUnits"]) + float((consumed.get("Table") or {}).get("CapacityUnits", 0))
    return float(consumed.get("CapacityUnits", 0))


def _write_actions(operation: str, params: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(action, table, key) of every item a write call touches."""

    def key_of(body: dict[str, Any]) -> dict[str, Any]:
        return body.get("Key") or {"pk": body["Item"]["pk"], "sk": body["Item"]["sk"]}

    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return [(operation, params["TableName"], key_of(params))]
    if operation == "TransactWriteItems":
        return [(action, body["TableName"], key_of(body)) for entry in params["TransactItems"] for action, body in entry.items()]
    if operation == "BatchWriteItem":
        out = []
        for table, requests in params["RequestItems"].items():
            for request in requests:
                if "PutRequest" in request:
                    out.append(("PutItem", table, key_of(request["PutRequest"])))
                else:
                    out.append(("DeleteItem", table, request["DeleteRequest"]["Key"]))
        return out
    return []


def _write_units(action: str, old: dict[str, Any] | None, new: dict[str, Any] | None, factor: int) -> list[tuple[str, str, float]]:
    """(index, partition key, units) of one write by DynamoDB's sizing rules."""
    pk = str((new or old or {}).get("pk", {}).get("S", "?"))
    size = max(item_size(old), item_size(new))
    out = [("table", pk, float(factor * max(1, math.ceil(size / 1024))))]
    if action == "ConditionCheck" or old == new:
        return out
    for index in (*GSIS, "lsi1"):
        hash_name, range_name = ("pk", "lsi1sk") if index == "lsi1" else (f"{index}pk", f"{index}sk")
        before = (old or {}).get(hash_name) if old and range_name in old else None
        after = (new or {}).get(hash_name) if new and range_name in new else None
        moved = before is not None and after is not None and (old or {}).get(range_name) != (new or {}).get(range_name)
        if before is not None and (after is None or before != after or moved):
            out.append((index, before["S"], float(factor * max(1, math.ceil(item_size(old) / 1024)))))
        if after is not None:
            out.append((index, after["S"], float(factor * max(1, math.ceil(item_size(new) / 1024)))))
    return out


def _install() -> None:
    import botocore.client
    from botocore.exceptions import ClientError

    if getattr(botocore.client.BaseClient._make_api_call, "_capacity", False):
        return
    original = botocore.client.BaseClient._make_api_call

    def get(self: Any, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        from local import iam

        with iam.unchecked():  # the measurement's own read, no function's
            item = original(self, "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
        return item.get("Item")

    def capturing(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if not _active or getattr(_inside, "busy", False) or self.meta.service_model.service_name != "dynamodb":
            return original(self, operation, params)
        _inside.busy = True
        try:
            return _captured(self, operation, params)
        finally:
            _inside.busy = False

    def _captured(self: Any, operation: str, params: dict[str, Any]) -> Any:
        asks = operation in ("GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "TransactGetItems", "BatchWriteItem")
        params = {**params, "ReturnConsumedCapacity": "INDEXES"} if asks else params
        actions = _write_actions(operation, params)
        before = [get(self, table, key) for _, table, key in actions]
        try:
            result = original(self, operation, params)
        except ClientError:
            for capture in list(_active):
                with capture._lock:
                    capture.calls[operation + " (refused)"] += 1
            raise
        after = [get(self, table, key) for _, table, key in actions]
        consumed = result.get("ConsumedCapacity")
        consumed_list = consumed if isinstance(consumed, list) else [consumed] if consumed else []
        touches: list[tuple[str, str, float, float]] = []
        if operation == "GetItem":
            touches.append(("table", params["Key"]["pk"]["S"], _read_units(consumed_list[0], None) if consumed_list else 0.0, 0.0))
        elif operation in ("BatchGetItem", "TransactGetItems"):
            keys = [k for spec in params.get("RequestItems", {}).values() for k in spec["Keys"]] if operation == "BatchGetItem" else [e["Get"]["Key"] for e in params["TransactItems"]]
            total = sum(float(c.get("CapacityUnits", 0)) for c in consumed_list)
            touches += [("table", key["pk"]["S"], total / max(len(keys), 1), 0.0) for key in keys]
        elif operation == "Query":
            index = params.get("IndexName")
            touches.append((index or "table", _query_partition(params), _read_units(consumed_list[0], index) if consumed_list else 0.0, 0.0))
        elif actions:
            factor = 2 if operation == "TransactWriteItems" else 1
            computed = 0.0
            records = consumer = 0
            for (action, _, _), old, new in zip(actions, before, after, strict=True):
                for index, pk, units in _write_units(action, old, new, factor):
                    touches.append((index, pk, 0.0, units))
                    computed += units
                if action != "ConditionCheck" and old != new:
                    records += 1
                    image = new or old or {}
                    consumer += image.get("type", {}).get("S") in CONSUMED_TYPES
            reported = sum(float(c.get("CapacityUnits", 0)) for c in consumed_list)
            for capture in list(_active):
                with capture._lock:
                    capture.stream_records += records
                    capture.consumer_records += consumer
                    if operation in ("PutItem", "UpdateItem", "DeleteItem") and consumed_list:
                        if abs(reported - computed) < 1e-9:
                            capture.engine_agrees += 1
                        else:
                            capture.engine_differs += 1
        for capture in list(_active):
            with capture._lock:
                capture.calls[operation] += 1
                for index, pk, reads, writes in touches:
                    capture.add(index, pk, reads, writes)
        return result

    capturing._capacity = True  # type: ignore[attr-defined]
    botocore.client.BaseClient._make_api_call = capturing  # type: ignore[method-assign]


@contextlib.contextmanager
def capture() -> Iterator[Capture]:
    """Counts DynamoDB calls and their units, by index and key pattern, made inside the block."""
    _install()
    found = Capture()
    _active.append(found)
    try:
        yield found
    finally:
        _active.remove(found)
