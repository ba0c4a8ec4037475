"""One run of the export worker function, in a process of its own (see tests/bench/exports.py):
reads a stream event on stdin, invokes JobsWorkerFunction as the local runner does, prints its
wall and CPU time and its peak memory as one JSON line. No tracemalloc: it would slow the very
run it measures; the process's high-water mark is what Lambda bills and limits anyway."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def high_water_mb() -> float:
    """This process's peak resident set (VmHWM). Not getrusage's ru_maxrss: on Linux that keeps
    the high-water mark of the parent's memory the process was forked (vfork'd) from before exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> None:
    sys.path.insert(0, str(ROOT / "layers" / "shared"))
    from local.events import LambdaContext
    from local.runner import Handlers
    from local.template import Stack

    event = json.loads(sys.stdin.read())
    stack = Stack(parameters={"AdminEmails": ""})
    function = next(f for f in stack.functions if f.logical_id == "JobsWorkerFunction")
    handlers = Handlers(stack)
    handlers.get(function)  # imported, as in a warm container; the run is what is measured
    from activity_tracker.stream.jobs import record_handler_for

    record_handler_for("EXPORT")  # the export's code too (the worker imports it with its first export)

    import botocore.client

    pages = 0
    original = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):  # type: ignore[no-untyped-def]
        nonlocal pages
        pages += operation == "Query"
        return original(self, operation, params)

    botocore.client.BaseClient._make_api_call = counting  # type: ignore[method-assign]
    started, cpu_started = time.perf_counter(), time.process_time()
    # Locally moto takes far longer than DynamoDB per page, so the run gets an hour, not the
    # function's 900 s (stopping in time is tested in tests/handlers/test_exports.py).
    result = handlers.invoke(function, event, LambdaContext(function.logical_id, 3600))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    assert result == {"batchItemFailures": []}, result
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "pages": pages, "peak_rss_mb": high_water_mb()}))


if __name__ == "__main__":
    main()
