"""Per-request DynamoDB work of every route the scale model's traffic profile names, measured on the
local stack, written to scale/work.json (the model's input) and summed up in docs/benchmarks.md.

Each request kind runs REQUESTS times through the real handler inside `tests.capacity.capture()`
(calls; read units as DynamoDB Local reports them with ReturnConsumedCapacity=INDEXES; write units
from the items' images; each by index and partition-key pattern). The stream records those requests
wrote are then delivered to the stream consumer in batches of its BatchSize, captured the same way,
and charged to the request kind. CPU per request is measured on REQUESTS more requests without the
capture (its own reads would count), `time.thread_time()` of the handler's thread, as the CPU per
request section does. A Bufdir export of the organization's approved activities gives the worker's
work per row.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.bench import BenchEnv, table
from tests.capacity import Capture, capture

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "scale" / "work.json"
REQUESTS = 10
MENTORS = 10
HISTORY = 25  # activities per mentor before measuring (lists and duplicate checks read real pages)
STREAM = "StreamConsumerFunction"
WORKER = "JobsWorkerFunction"


def _memory(stack: Any) -> dict[str, int]:
    from local.template import load

    doc = load()
    default = int(doc["Globals"]["Function"].get("MemorySize", 128))
    return {name: int((res.get("Properties") or {}).get("MemorySize", default)) for name, res in doc["Resources"].items() if res["Type"] == "AWS::Serverless::Function"}


def _units(found: Capture, per: float) -> list[dict[str, Any]]:
    return [{"index": index, "key": key, "scope": scope, "read": round(r / per, 4), "write": round(w / per, 4)} for (index, key, scope), (r, w) in sorted(found.units.items()) if r or w]


def _calls(found: Capture, per: float) -> dict[str, float]:
    return {name: round(n / per, 4) for name, n in sorted(found.calls.items())}


def run(env: BenchEnv) -> str:
    from tests.traffic import ROUTES, Drain, Traffic

    api = env.api
    memory = _memory(api.stack)
    org = f"bench-scale-{uuid.uuid4().hex[:8]}"
    traffic = Traffic(api, org, MENTORS)
    coordinator, today = traffic.coordinator, traffic.today
    created = traffic.history(HISTORY)
    consumer = Drain(api, org, STREAM)
    consumer.deliver()
    worker = Drain(api, org, WORKER)
    worker.take()

    work: dict[str, Any] = {}
    rows = []
    agrees = differs = 0
    for name in ROUTES:  # in this order: the kinds that review, edit or join use what earlier kinds wrote
        route, function = traffic.route(name)
        with capture() as found:
            for _ in range(REQUESTS):
                traffic.send(name)
        records = consumer.take()  # read outside the capture: reading the stream is the benchmark's, not the consumer's
        with capture() as stream:
            delivered, _ = consumer.deliver(records)
        cpu = []
        for _ in range(REQUESTS):
            method, path, who, body = traffic.request(name)
            began = time.thread_time()
            reply = api.call(method, path, who, body)
            cpu.append(time.thread_time() - began)
            assert reply.status < 300, (name, reply.status, reply.body)
            traffic.answered(name, reply.body)
        _, stream_cpu = consumer.deliver()  # the CPU requests' records, without the capture: the consumer's own CPU
        work[name] = {
            "route": route, "function": function, "memory_mb": memory[function],
            "cpu_ms": round(statistics.median(cpu) * 1000, 2),
            "calls": _calls(found, REQUESTS), "units": _units(found, REQUESTS),
            "stream_records": round(found.stream_records / REQUESTS, 3), "consumer_records": round(found.consumer_records / REQUESTS, 3),
            "consumer": {"records": round(delivered / REQUESTS, 3), "calls": _calls(stream, REQUESTS), "units": _units(stream, REQUESTS), "cpu_ms": round(stream_cpu * 1000 / REQUESTS, 2)},
        }  # fmt: skip
        rows.append(
            [
                name,
                f"`{route}`",
                f"{found.total_calls / REQUESTS:g}",
                f"{found.read_units / REQUESTS:.2f}",
                f"{found.write_units / REQUESTS:.2f}",
                f"{found.stream_records / REQUESTS:g}",
                f"{stream.read_units / REQUESTS:.2f} / {stream.write_units / REQUESTS:.2f}",
                f"{statistics.median(cpu) * 1000:.1f}",
            ]
        )
        agrees += found.engine_agrees + stream.engine_agrees
        differs += found.engine_differs + stream.engine_differs

    # A Bufdir export of the approved activities: the request, then the worker, per row
    start = (today - timedelta(days=14 * HISTORY + 2)).isoformat()  # the whole history: a year
    with capture() as export_request:
        reply = api.call("POST", "/api/exports/bufdir", coordinator, {"period_start": start, "period_end": today.isoformat(), "format": "csv"})
    assert reply.status == 202, reply.body
    jobs_records = worker.take()
    with capture() as export_run:
        jobs, worker_cpu = worker.deliver(jobs_records, batch_size=1)
    exported = api.call("GET", f"/api/exports/{reply.body['id']}", coordinator).body
    assert exported["status"] == "done", exported
    rows_out = int(exported["row_count"])
    work["export"] = {
        "route": "POST /api/exports/bufdir", "function": "ExportsCreateFunction", "memory_mb": memory["ExportsCreateFunction"],
        "calls": _calls(export_request, 1), "units": _units(export_request, 1),
        "worker": {"function": WORKER, "memory_mb": memory[WORKER], "rows": rows_out, "calls": _calls(export_run, 1), "units": _units(export_run, 1), "cpu_ms": round(worker_cpu * 1000, 1)},
    }  # fmt: skip
    consumer_fn = next(f for f in api.stack.functions if f.logical_id == STREAM)
    activity_bytes = statistics.mean(_stored_size(org, item["id"]) for item in created)
    agrees, differs = agrees + export_run.engine_agrees, differs + export_run.engine_differs
    document = {
        "measured": time.strftime("%Y-%m-%d", time.gmtime()),
        "how": "make bench capacity (tests/bench/capacity.py): each request kind 10 times through its handler against DynamoDB Local",
        "requests_per_kind": REQUESTS,
        "stream_consumer": {"function": STREAM, "memory_mb": memory[STREAM], "batch_size": consumer_fn.streams[0].batch_size},
        "activity_item_bytes": round(activity_bytes),
        "export_worker_throughput": _export_throughput(),
        "write_units_checked_against_engine": {"agree": agrees, "differ": differs},
        "kinds": work,
    }
    WORK.parent.mkdir(exist_ok=True)
    WORK.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    per_row = export_run.read_units / max(rows_out, 1)
    return (
        "## Capacity per request (the scale model's input)\n\n"
        f"Each request kind {REQUESTS} times through its handler against DynamoDB Local, in one organization of {MENTORS} mentors "
        f"with {HISTORY} activities each; every call asks `ReturnConsumedCapacity=INDEXES` (`tests/capacity.py`). Read units are "
        "DynamoDB Local's; write units are computed from the items' images by DynamoDB's rules (DynamoDB Local reports one action "
        f"of a transaction, not their sum); on single-item writes the two agree {agrees} times and differ {differs}. "
        "Stream work is the consumer's, fed the records those requests wrote in batches of 100. CPU is the median of "
        f"{REQUESTS} more requests, without the capture. Written to `scale/work.json`, which `make scale-model` reads "
        "(docs/scaling.md).\n\n"
        + table(["kind", "route", "calls", "RCU", "WCU", "stream records", "consumer RCU / WCU", "CPU ms"], rows)
        + f"\n\nBufdir export of {rows_out} approved activities: the worker read {export_run.read_units:g} units "
        f"({per_row:.3f} a row) in {export_run.total_calls} calls, {worker_cpu * 1000:.0f} ms of CPU ({jobs} job)."
    )


def _stored_size(org: str, activity_id: str) -> int:
    """The activity's size as DynamoDB counts it (every index key included)."""
    from activity_tracker import keys
    from activity_tracker.repository.table import TABLE_NAME, connection
    from tests.capacity import item_size

    key = {"pk": {"S": keys.activity_pk(org, activity_id)}, "sk": {"S": keys.ACTIVITY_SK}}
    return item_size(connection().client.get_item(TableName=TABLE_NAME, Key=key)["Item"])


def _export_throughput() -> dict[str, Any]:
    """The largest export the `exports` benchmark measured (docs/benchmarks.md, Bufdir export): its
    worker's CPU seconds and Query pages, so the model can time an organization's monthly export."""
    import re

    text = (ROOT / "docs" / "benchmarks.md").read_text()
    section = text.split("## Bufdir export", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([\d,]+) \| [^|]+ \| ([\d.]+) \| [^|]+ \| ([\d.]+) \| (\d+) \|", section, re.M)
    activities, wall, cpu, pages = max(rows, key=lambda r: int(r[0].replace(",", "")))
    csv_mb = float(next(r for r in section.splitlines() if r.startswith(f"| {activities} |")).strip(" |").split("|")[-1])
    return {
        "rows": int(activities.replace(",", "")),
        "cpu_seconds": float(cpu),
        "query_pages": int(pages),
        "local_wall_seconds": float(wall),
        "csv_mb": csv_mb,
        "source": "docs/benchmarks.md, Bufdir export (make bench exports)",
    }


def _sample_path(route: str) -> str:
    return route.split()[1].replace("{id}", "x")
