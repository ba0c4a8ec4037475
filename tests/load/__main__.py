"""python -m tests.load [--chaos] [--users N] [--seconds S]: `make load` and `make chaos`.

Starts a fresh local stack (DynamoDB Local; with `--chaos` the fault proxy failing 10 % of its AWS
calls), drives it with locust (tests/load/locustfile.py) for a bounded time, waits for the stream
to drain, then checks what a user must be able to trust: every acknowledged write stored exactly
once, acknowledged deletes deleted, no class over capacity, every export `done` or `failed`, the
counters equal to a recount (the recount finds nothing to correct), and no 5xx but documented
503s. Writes its figures to docs/benchmarks.md and exits non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "layers" / "shared"))


def get_json(url: str, method: str = "GET", body: Any = None) -> Any:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def wait_for(predicate: Any, seconds: float, interval: float = 0.5) -> Any:
    deadline = time.time() + seconds
    while True:
        value = predicate()
        if value or time.time() > deadline:
            return value
        time.sleep(interval)


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_locust(url: str, users: int, seconds: int, directory: Path, run_id: str) -> tuple[Path, Path]:
    ledger, prefix = directory / "ledger.json", directory / "locust"
    env = {**os.environ, "LOAD_LEDGER": str(ledger), "LOAD_RUN": run_id, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "tests" / "load" / "locustfile.py"), "--headless",
        "-u", str(users), "-r", str(max(1, users // 30)), "-t", f"{seconds}s", "--host", url,  # all signed in within 30 s
        "--csv", str(prefix), "--only-summary", "--stop-timeout", "30", "--loglevel", "WARNING",
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, env=env, check=False)
    return ledger, Path(f"{prefix}_stats.csv")


def check(ledger: dict[str, Any]) -> dict[str, Any]:
    """The invariants, read from the table itself (past any fault proxy)."""
    from activity_tracker import keys
    from activity_tracker.repository import activities
    from activity_tracker.repository.learning import ClassItem
    from activity_tracker.repository.table import TABLE_NAME, connection

    problems: dict[str, list[Any]] = {"lost": [], "doubled": [], "not_deleted": [], "over_capacity": [], "joins_missing": [], "exports_unfinished": [], "server_errors": ledger["server_errors"]}
    stored: dict[str, dict[str, Any]] = {}
    unacknowledged: list[dict[str, Any]] = []
    for org in ledger["organizations"]:
        by_local_id: Counter[str] = Counter()
        for item in activities.of_organization(org, ("id", "local_id", "deleted_at")):
            stored[item["id"]] = item
            if item.get("local_id"):
                by_local_id[item["local_id"]] += 1
                if item["local_id"] not in ledger["activities"]:
                    unacknowledged.append({"org": org, **{k: item.get(k) for k in ("id", "local_id", "deleted_at")}})
        problems["doubled"] += [local_id for local_id, count in by_local_id.items() if count > 1]
    for acknowledged in ledger["activities"].values():
        if acknowledged["id"] not in stored:
            problems["lost"].append(acknowledged)
    problems["not_deleted"] = [i for i in ledger["deleted"] if not (stored.get(i) or {}).get("deleted_at")]
    for org, class_ids in ledger["classes"].items():
        for class_id in class_ids:
            klass = ClassItem.get(keys.class_pk(org, class_id), keys.CLASS_SK, consistent_read=True)
            members = klass.participant_ids or set()
            if klass.current_participants > klass.max_participants or len(members) != klass.current_participants:
                problems["over_capacity"].append({"class": class_id, "current": klass.current_participants, "max": klass.max_participants, "members": len(members)})
            problems["joins_missing"] += [j for j in ledger["joins"] if j["class_id"] == class_id and j["user_id"] not in members]

    client = connection().client

    def unfinished() -> list[str]:
        out = []
        for export in ledger["exports"]:
            item = client.get_item(TableName=TABLE_NAME, Key={"pk": {"S": keys.export_pk(export["org"], export["id"])}, "sk": {"S": keys.EXPORT_SK}}, ConsistentRead=True).get("Item") or {}
            if item.get("status", {}).get("S") not in ("done", "failed"):
                out.append(f"{export['id']}: {item.get('status', {}).get('S')}")
        return out

    problems["exports_unfinished"] = (wait_for(lambda: not unfinished(), 180) and []) or unfinished()
    return {"problems": problems, "stored_activities": len(stored), "acknowledged_activities": len(ledger["activities"]), "stored_unacknowledged": len(unacknowledged), "unacknowledged_examples": unacknowledged[:10]}


def recount(stack_state: Path, organizations: list[str]) -> dict[str, Any]:
    """StatsRecountFunction as an operator runs it (`make recount-stats`), with no quiet period."""
    event = json.dumps({"organization_ids": organizations, "quiet_seconds": 0})
    env = {**os.environ, "LOCAL_STATE_FILE": str(stack_state), "PYTHONPATH": str(ROOT), "POWERTOOLS_LOG_LEVEL": "WARNING"}
    out = subprocess.run([sys.executable, "-m", "local", "invoke", "StatsRecountFunction", "--event-json", event], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    return dict(json.loads(out[out.index("\n{\n") if not out.startswith("{") else 0 :]))  # the answer, after any log line


def figures(stats_csv: Path, cpu: dict[str, Any]) -> list[list[Any]]:
    rows = []
    with open(stats_csv) as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                continue
            ours = cpu.get(row["Name"], {})
            rows.append([
                f"`{row['Name']}`", row["Request Count"], f"{float(row['Requests/s']):.1f}", row["50%"], row["95%"], row["99%"],
                f"{ours['cpu_ms_mean']:.1f}" if ours else "",
            ])  # fmt: skip
    return sorted(rows, key=lambda r: -int(r[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load")
    parser.add_argument("--chaos", action="store_true", help="fail 10 %% of the stack's AWS calls the way AWS fails them")
    parser.add_argument("--users", type=int, default=int(os.environ.get("LOAD_USERS", "200")))
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("LOAD_SECONDS", "90")))
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)

    from local.process import child_stack
    from local.services import Endpoints
    from local.template import Stack
    from tests.bench import table
    from tests.bench.__main__ import merge

    run_id = os.environ["LOAD_RUN"] = uuid.uuid4().hex[:6]
    from tests.load.population import ORGANIZATIONS, admin_emails

    settings = {"LOCAL_LOG_LEVEL": "WARNING", "LOAD_RUN": run_id}
    if args.chaos:
        settings["LOCAL_FAULTS"] = f"rate={os.environ.get('CHAOS_RATE', '0.1')},seed=12"
    directory = Path(tempfile.mkdtemp(prefix="activity-tracker-load-"))
    stack = Stack(parameters={"AdminEmails": ""})
    for name, value in stack.environment().items():
        os.environ.setdefault(name, value)
    started = time.time()
    with child_stack(directory, admin_emails(), **settings) as running:
        print(f"load: {args.users} users for {args.seconds} s against {running.url}{' with 10 % faults' if args.chaos else ''} (run {run_id}, logs in {directory})", flush=True)
        ledger_path, stats_csv = run_locust(running.url, args.users, args.seconds, directory, run_id)
        load_ended = time.time()
        faults = get_json(running.url + "/_local/faults") if args.chaos else None
        drained = wait_for(lambda: get_json(running.url + "/_local/stream")["drained"], 300)
        drain_seconds = time.time() - load_ended
        cpu = get_json(running.url + "/_local/cpu")
        stream = get_json(running.url + "/_local/stream")
        runner_memory = peak_memory_mb(running.process.pid)
        if args.chaos:
            get_json(running.url + "/_local/faults", "PUT", {"rate": 0})  # the checks read past the storm
        state = running.state_json()
        Endpoints(**state["direct"]).apply()
        ledger = json.loads(ledger_path.read_text())
        ledger["organizations"] = ORGANIZATIONS
        outcome = check(ledger)
        recounted = recount(running.state, ORGANIZATIONS)
    corrections = [r for r in recounted["results"] if r["status"] != "done" or r["corrected"]]
    problems = {k: v for k, v in outcome["problems"].items() if v}
    if not drained:
        problems["stream_not_drained"] = [stream]
    if corrections:
        problems["counters_off"] = corrections
    statuses = Counter(ledger["statuses"])
    by_status: Counter[str] = Counter()
    for key, count in statuses.items():
        by_status[key.rsplit(" ", 1)[1]] += count
    summary = {
        "users": args.users, "seconds": args.seconds, "requests": sum(statuses.values()), "by_status": dict(sorted(by_status.items())),
        "acknowledged_activities": outcome["acknowledged_activities"], "stored_activities": outcome["stored_activities"],
        "stored_unacknowledged": outcome["stored_unacknowledged"], "unacknowledged_examples": outcome["unacknowledged_examples"], "deletes": len(ledger["deleted"]), "joins": len(ledger["joins"]),
        "exports": len(ledger["exports"]), "drain_seconds": round(drain_seconds, 1), "stream": stream, "runner_peak_mb": round(runner_memory),
        "faults": faults, "problems": problems, "wall_seconds": round(time.time() - started),
    }  # fmt: skip
    print(json.dumps(summary, indent=2, default=str))
    if not args.no_docs:
        write_docs(args, summary, figures(stats_csv, cpu), table, merge)
    return 1 if problems else 0


def write_docs(args: Any, summary: dict[str, Any], rows: list[list[Any]], table: Any, merge: Any) -> None:
    heading = "## Faults: the load under 10 % injected AWS failures (`make chaos`)" if args.chaos else "## Load: a day of several organizations at once (`make load`)"
    faults = summary["faults"]
    lines = [
        heading, "",
        f"Measured {time.strftime('%Y-%m-%d')} with locust (tests/load/locustfile.py): {summary['users']} simulated users (9 mentors to 1 coordinator) "
        f"for {summary['seconds']} s against a fresh `make local` on DynamoDB Local, 4 organizations. Mentors sync offline batches of 2 to 10 "
        "activities, log, edit, delete and list their own, read their statistics and join classes; coordinators review, list users, "
        "read organization statistics and queue Bufdir exports. A client retries a 503 after `Retry-After` as the app does.",
        "",
    ]  # fmt: skip
    if faults:
        injected = ", ".join(f"{kind} {count}" for kind, count in sorted(faults["injected"].items()))
        lines += [f"Fault proxy: {faults['calls']} AWS calls, {sum(faults['injected'].values())} failed on purpose ({injected}).", ""]
    lines += [
        f"Requests: {summary['requests']} ({', '.join(f'{s}: {n}' for s, n in summary['by_status'].items())}). "
        f"Activities acknowledged {summary['acknowledged_activities']}, stored {summary['stored_activities']} "
        f"({summary['stored_unacknowledged']} stored without an acknowledgement: written, but the client got no 2xx for them, a 503 it did not retry to an answer or a request cut off when the run ended); "
        f"deletes {summary['deletes']}, class joins {summary['joins']}, exports {summary['exports']}. "
        f"The stream drained {summary['drain_seconds']} s after the last request ({summary['stream']['batches']} consumer batches). "
        f"Runner peak memory {summary['runner_peak_mb']} MB.",
        "",
        "Checks after the stream drained: every acknowledged write stored exactly once, acknowledged deletes deleted, no class over "
        "capacity, every export `done` or `failed`, a recount with no quiet period corrects nothing, no 5xx but 503 with `Retry-After`: "
        + ("**all passed**." if not summary["problems"] else f"**failed**: {json.dumps(summary['problems'], default=str)[:1500]}"),
        "",
        "Per route (latency in ms, as the client saw it, queueing in the one-process runner included; our CPU per request is the "
        "handler thread's CPU in the runner, botocore included, the engine excluded: the figure that carries over to Lambda):",
        "",
        table(["route", "requests", "req/s", "p50", "p95", "p99", "our CPU ms"], rows),
    ]
    document = ROOT / "docs" / "benchmarks.md"
    document.write_text(merge(document.read_text(), "\n".join(lines)) + "\n")
    print(f"wrote {heading[3:]} to docs/benchmarks.md")


if __name__ == "__main__":
    sys.exit(main())
