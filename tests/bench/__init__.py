"""Benchmarks (`make bench`), not timed tests. Each module `tests/bench/<area>.py` defines
`run(env: BenchEnv) -> str`, returning a Markdown section; `python -m tests.bench` runs them all
in one process, on one moto server, and writes docs/benchmarks.md."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

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


def _install() -> None:
    import botocore.client

    if getattr(botocore.client.BaseClient._make_api_call, "_bench", False):
        return
    original = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        result = original(self, operation_name, api_params)
        for counter in list(_active):
            with counter._lock:
                counter.calls[operation_name] += 1
                consumed = result.get("ConsumedCapacity") if isinstance(result, dict) else None
                for item in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
                    counter.read_units += float(item.get("ReadCapacityUnits") or 0)
                    counter.write_units += float(item.get("WriteCapacityUnits") or 0)
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
    endpoint: str  # the moto server


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
