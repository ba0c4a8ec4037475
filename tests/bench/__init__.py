"""Benchmarks (`make bench`), not timed tests. Each module `tests/bench/<area>.py` defines
`run(env: BenchEnv) -> str`, returning a Markdown section (modules without `run` are helpers);
`python -m tests.bench` runs them all in one process, against one DynamoDB Local and one moto
server, and writes docs/benchmarks.md."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from local.services import Endpoints
from tests.helpers import Api


@dataclass
class CallCounter:
    """Counts AWS API calls (by operation) and consumed capacity made through botocore."""

    calls: Counter[str] = field(default_factory=Counter)
    read_units: float = 0.0
    write_units: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def describe(self) -> str:
        return ", ".join(f"{name} ×{n}" for name, n in sorted(self.calls.items())) or "none"


_active: list[CallCounter] = []


def _size(item: dict[str, Any] | None) -> int:
    """DynamoDB's item size, near enough: attribute names plus their values' JSON."""
    import json

    return sum(len(name) + len(json.dumps(value, default=str)) for name, value in (item or {}).items())


def estimate_units(operation: str, params: dict[str, Any], result: dict[str, Any]) -> tuple[float, float]:
    """Read and write capacity units of one call by DynamoDB's sizing rules (moto reports none):
    reads 4 KB per unit (eventual ½, transactional 2), writes 1 KB per unit (transactional 2);
    an update's size is taken as the new values' size, at least one unit."""
    import math

    read_factor = 1.0 if params.get("ConsistentRead") else 0.5
    if operation == "GetItem":
        return math.ceil(max(_size(result.get("Item")), 1) / 4096) * read_factor, 0.0
    if operation == "BatchGetItem":
        items = [item for table_items in result.get("Responses", {}).values() for item in table_items]
        consistent = any(spec.get("ConsistentRead") for spec in params.get("RequestItems", {}).values())
        return sum(math.ceil(max(_size(i), 1) / 4096) for i in items) * (1.0 if consistent else 0.5), 0.0
    if operation in ("Query", "Scan"):
        return max(math.ceil(sum(_size(i) for i in result.get("Items", [])) / 4096), 1) * read_factor, 0.0
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return 0.0, float(max(math.ceil(_size(params.get("Item") or params.get("ExpressionAttributeValues")) / 1024), 1))
    if operation == "TransactWriteItems":
        units = 0
        for action in params.get("TransactItems", []):
            body = next(iter(action.values()))
            units += 2 * max(math.ceil(_size(body.get("Item") or body.get("ExpressionAttributeValues")) / 1024), 1)
        return 0.0, float(units)
    return 0.0, 0.0


def _install() -> None:
    import botocore.client

    if getattr(botocore.client.BaseClient._make_api_call, "_bench", False):
        return
    original = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        result = original(self, operation_name, api_params)
        if not _active:
            return result
        try:
            reads, writes = estimate_units(operation_name, api_params, result if isinstance(result, dict) else {})
        except Exception:  # an estimate must never break the call it measures
            reads = writes = 0.0
        for counter in list(_active):
            with counter._lock:
                counter.calls[operation_name] += 1
                counter.read_units += reads
                counter.write_units += writes
        return result

    counting._bench = True  # type: ignore[attr-defined]
    botocore.client.BaseClient._make_api_call = counting  # type: ignore[method-assign]


@contextlib.contextmanager
def count_calls() -> Iterator[CallCounter]:
    _install()
    counter = CallCounter()
    _active.append(counter)
    try:
        yield counter
    finally:
        _active.remove(counter)


@dataclass
class BenchEnv:
    api: Api  # the real handlers, routed by template.yaml, against the moto server
    endpoints: Endpoints  # DynamoDB Local and the moto server


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
