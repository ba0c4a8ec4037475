"""The scale and cost model: a traffic profile (scale/profile.py) times the measured work of each
request (scale/work.json, written by `make bench capacity`) at list prices (scale/prices.py).

Standard library only, no AWS. Everything is linear in the number of mentors, so each limit's
utilisation also says at what size it is reached: the size divided by the utilisation.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scale import prices as P
from scale import profile as T

WORK = Path(__file__).with_name("work.json")
ACTIVITY_INDEX_COPIES = 6  # an activity is stored in the table and in gsi1-gsi5 (projections ALL)


TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"


def memory_sizes(template: Path = TEMPLATE) -> dict[str, int]:
    """Every function's MemorySize in template.yaml (its own, else the Globals'), read without a YAML
    library: configuration, so the model follows the template rather than the benchmark's copy."""
    import re

    sizes: dict[str, int] = {}
    default, current, section = 128, None, None
    for line in template.read_text().splitlines():
        if re.match(r"^\S", line):
            section, current = line.rstrip(":"), None
        elif section == "Resources" and (found := re.match(r"^  (\w+):\s*$", line)):
            current = found.group(1)
        elif found := re.match(r"^\s+MemorySize:\s*(\d+)", line):
            if section == "Globals":
                default = int(found.group(1))
            elif current:
                sizes[current] = int(found.group(1))
        elif section == "Resources" and current and re.match(r"^    Type:\s*AWS::Serverless::Function", line):
            sizes.setdefault(current, 0)
    return {name: size or default for name, size in sizes.items()}


def load_work(path: Path = WORK) -> dict[str, Any]:
    """The measured work, with each function's memory as template.yaml has it now."""
    work = json.loads(path.read_text())
    memory = memory_sizes()
    for kind in work["kinds"].values():
        kind["memory_mb"] = memory[kind["function"]]
        if "worker" in kind:
            kind["worker"]["memory_mb"] = memory[kind["worker"]["function"]]
    work["stream_consumer"]["memory_mb"] = memory[work["stream_consumer"]["function"]]
    return work


def stretch(memory_mb: int) -> float:
    """How much longer CPU work takes at `memory_mb` than on a full vCPU."""
    return max(1.0, P.FULL_VCPU_MEMORY_MB / memory_mb)


def waits_ms(calls: dict[str, float]) -> float:
    """Time spent waiting for DynamoDB, by call (the in-region latencies of scale/prices.py)."""
    return sum(n * (P.DYNAMODB_TRANSACTION_MS if name == "TransactWriteItems" else P.DYNAMODB_CALL_MS) for name, n in calls.items() if not name.endswith("(refused)"))


def duration_ms(kind: dict[str, Any]) -> float:
    """A warm request's Lambda duration: measured CPU stretched to its memory, plus DynamoDB waits."""
    return float(kind["cpu_ms"]) * stretch(int(kind["memory_mb"])) + waits_ms(kind["calls"])


def peak_per_second(per_day: float) -> float:
    return per_day * T.PEAK_HOUR_SHARE / 3600 * T.PEAK_SECOND_FACTOR


@dataclass
class Partition:
    index: str
    key: str
    scope: str
    read: float = 0.0  # units per second on the hottest partition of this key at the peak
    write: float = 0.0

    @property
    def utilisation(self) -> float:
        return max(self.read / P.PARTITION_READ_UNITS_PER_SECOND, self.write / P.PARTITION_WRITE_UNITS_PER_SECOND)


@dataclass
class Limit:
    name: str
    utilisation: float
    grows_with: str  # "largest organization" or "all mentors"
    size: int  # mentors in that population now

    @property
    def reached_at(self) -> int:
        return int(self.size / self.utilisation) if self.utilisation > 0 else 0


@dataclass
class Result:
    name: str
    organizations: int
    mentors: int
    largest: int
    api_per_second: float
    concurrency: float
    partitions: list[Partition]
    table_records_per_second: float
    largest_org_records_per_second: float
    shards: int
    shard_records_per_second: float
    shard_capacity: float
    export_seconds: float
    export_read_per_second: float
    export_drain_seconds: float
    cost: dict[str, float] = field(default_factory=dict)
    limits: list[Limit] = field(default_factory=list)

    @property
    def cost_total(self) -> float:
        return sum(self.cost.values())

    @property
    def cost_per_thousand(self) -> float:
        return self.cost_total / (self.mentors / 1000)

    def ranked(self) -> list[Limit]:
        """The limits that grow with the scale, nearest first (a per-export rate does not grow)."""
        return sorted((limit for limit in self.limits if not limit.grows_with.startswith("(")), key=lambda limit: -limit.utilisation)

    @property
    def first_limit(self) -> Limit:
        return self.ranked()[0]


def _all_units(kind: dict[str, Any]) -> list[dict[str, Any]]:
    return list(kind["units"]) + list(kind.get("consumer", {}).get("units", []))


def export_timing(work: dict[str, Any], memory_mb: int | None = None) -> tuple[float, float]:
    """(ms per exported row on Lambda, read units per row on the organization's approved partition:
    the activity's stored size, as a Query is charged; the small export the capacity bench runs reads
    more per row, as each of its one-day Queries is rounded up to 4 KB).
    The worker's CPU per row is the `exports` benchmark's, stretched to the worker's memory; the wait
    per Query page is what that run spent outside its own CPU, page by page (DynamoDB Local on this
    machine: of the order of an in-region 1 MB read)."""
    measured = work["export_worker_throughput"]
    worker = work["kinds"]["export"]["worker"]
    page_ms = (measured["local_wall_seconds"] - measured["cpu_seconds"]) * 1000 / measured["query_pages"]
    cpu_ms = measured["cpu_seconds"] * 1000 / measured["rows"] * stretch(memory_mb or int(worker["memory_mb"]))
    row_ms = cpu_ms + page_ms * measured["query_pages"] / measured["rows"]
    per_row = work["activity_item_bytes"] / 4096 * 0.5  # a Query is charged the items' full size (not the projection), eventually consistent
    return row_ms, per_row


def evaluate(name: str, groups: list[tuple[int, int]], work: dict[str, Any] | None = None) -> Result:
    work = work or load_work()
    kinds = {k: v for k, v in work["kinds"].items() if k in T.PER_MENTOR_DAY}
    orgs = sum(n for n, _ in groups)
    mentors = sum(n * size for n, size in groups)
    largest = max(size for _, size in groups)
    rate = {k: peak_per_second(T.PER_MENTOR_DAY[k]) for k in kinds}  # one mentor's share at the peak, per second

    partitions: dict[tuple[str, str], Partition] = {}
    for k, kind in kinds.items():
        for unit in _all_units(kind):
            scope = unit["scope"]
            if scope == "item":
                continue
            population = {"organization": largest, "global": mentors, "user": T.MENTORS_PER_COORDINATOR if k in T.COORDINATOR_KINDS else 1}[scope]
            part = partitions.setdefault((unit["index"], unit["key"]), Partition(unit["index"], unit["key"], scope))
            part.read += rate[k] * population * unit["read"]
            part.write += rate[k] * population * unit["write"]

    api = sum(rate[k] * mentors for k in kinds)
    records = sum(rate[k] * mentors * kinds[k]["stream_records"] for k in kinds)
    org_records = sum(rate[k] * largest * kinds[k]["stream_records"] for k in kinds)

    # Table partitions (and so stream shards): by stored bytes and by the base table's peak units
    stored = mentors * T.ACTIVITIES_PER_MENTOR_DAY * 365 * T.RETENTION_YEARS * work["activity_item_bytes"]
    table_read = sum(rate[k] * mentors * u["read"] for k in kinds for u in _all_units(kinds[k]) if u["index"] in ("table", "lsi1"))
    table_write = sum(rate[k] * mentors * u["write"] for k in kinds for u in _all_units(kinds[k]) if u["index"] in ("table", "lsi1"))
    shards = max(1, math.ceil(stored / P.PARTITION_BYTES), math.ceil(table_read / P.PARTITION_READ_UNITS_PER_SECOND), math.ceil(table_write / P.PARTITION_WRITE_UNITS_PER_SECOND))
    consumer_memory = int(work["stream_consumer"]["memory_mb"])
    consumer_ms = sum(rate[k] * (kinds[k]["consumer"]["cpu_ms"] * stretch(consumer_memory) + waits_ms(kinds[k]["consumer"]["calls"])) for k in kinds if "consumer" in kinds[k])
    consumer_records = sum(rate[k] * kinds[k]["consumer"]["records"] for k in kinds if "consumer" in kinds[k])
    ms_per_record = consumer_ms / consumer_records if consumer_records else 0.0
    shard_capacity = 1000 / ms_per_record if ms_per_record else math.inf

    concurrency = sum(rate[k] * mentors * duration_ms(kinds[k]) / 1000 for k in kinds)
    concurrency += min(shards, mentors * consumer_ms / 1000)

    row_ms, read_per_row = export_timing(work)
    export_rows = largest * T.ACTIVITIES_PER_MENTOR_DAY * T.DAYS_PER_MONTH
    export_seconds = export_rows * row_ms / 1000
    export_read = 1000 / row_ms * read_per_row
    worker = work["kinds"]["export"]["worker"]
    fixed_ms = float(worker["cpu_ms"]) * stretch(int(worker["memory_mb"])) + waits_ms(worker["calls"])  # a small export's whole run: start, claim, finish
    drain = (orgs * T.EXPORTS_PER_ORGANIZATION_MONTH * fixed_ms + mentors * T.ACTIVITIES_PER_MENTOR_DAY * T.DAYS_PER_MONTH * row_ms) / 1000 / P.EXPORT_WORKERS

    result = Result(
        name=name, organizations=orgs, mentors=mentors, largest=largest, api_per_second=api, concurrency=concurrency,
        partitions=sorted(partitions.values(), key=lambda p: -p.utilisation), table_records_per_second=records,
        largest_org_records_per_second=org_records, shards=shards, shard_records_per_second=records / shards,
        shard_capacity=shard_capacity, export_seconds=export_seconds, export_read_per_second=export_read, export_drain_seconds=drain,
    )  # fmt: skip
    result.cost = monthly_cost(groups, work)
    for part in result.partitions:
        grows = "largest organization" if part.scope == "organization" else "all mentors" if part.scope == "global" else "one user"
        size = largest if part.scope == "organization" else mentors if part.scope == "global" else 1
        result.limits.append(Limit(f"partition `{part.key}` ({part.index})", part.utilisation, grows, size))
    budget = P.LAMBDA_MAX_TIMEOUT_SECONDS - P.EXPORT_RESERVE_SECONDS
    result.limits.append(Limit(f"export worker's {budget} s (a month of the largest organization in one invocation)", export_seconds / budget, "largest organization", largest))
    result.limits.append(Limit(f"monthly exports drained by {P.EXPORT_WORKERS} workers within the stream's 24 h", drain / P.STREAM_RECORD_AGE_SECONDS, "all mentors", mentors))
    result.limits.append(Limit("export Query on `ORG#{org}#STATUS#approved` (gsi4)", export_read / P.PARTITION_READ_UNITS_PER_SECOND, "(per export, any size)", largest))
    result.limits.append(Limit("stream consumer, one invocation per shard", result.shard_records_per_second / shard_capacity, "all mentors", mentors))
    result.limits.append(Limit("Lambda concurrency (1,000)", concurrency / P.ACCOUNT_LAMBDA_CONCURRENCY, "all mentors", mentors))
    result.limits.append(Limit("API requests/s (10,000)", api / P.ACCOUNT_API_REQUESTS_PER_SECOND, "all mentors", mentors))
    return result


def monthly_cost(groups: list[tuple[int, int]], work: dict[str, Any]) -> dict[str, float]:
    """Dollars a month (30 days of the profile's days, one export per organization) by service."""
    kinds = {k: v for k, v in work["kinds"].items() if k in T.PER_MENTOR_DAY}
    orgs = sum(n for n, _ in groups)
    mentors = sum(n * size for n, size in groups)
    per_month = {k: T.PER_MENTOR_DAY[k] * mentors * T.DAYS_PER_MONTH for k in kinds}
    requests = sum(per_month.values()) + orgs * T.EXPORTS_PER_ORGANIZATION_MONTH
    api = min(requests, 300e6) / 1e6 * P.API_HTTP_PER_MILLION + max(0.0, requests - 300e6) / 1e6 * P.API_HTTP_PER_MILLION_OVER_300M

    export = work["kinds"]["export"]
    worker = export["worker"]
    row_ms, read_per_row = export_timing(work)
    rows = mentors * T.ACTIVITIES_PER_MENTOR_DAY * T.DAYS_PER_MONTH
    exports = orgs * T.EXPORTS_PER_ORGANIZATION_MONTH
    consumer_memory = int(work["stream_consumer"]["memory_mb"])
    records = sum(per_month[k] * kinds[k]["consumer"]["records"] for k in kinds if "consumer" in kinds[k])
    invocations = requests + records / work["stream_consumer"]["batch_size"] + exports
    gb_seconds = sum(per_month[k] * duration_ms(kinds[k]) / 1000 * kinds[k]["memory_mb"] / 1024 for k in kinds)
    gb_seconds += sum(
        per_month[k] * (kinds[k]["consumer"]["cpu_ms"] * stretch(consumer_memory) + waits_ms(kinds[k]["consumer"]["calls"])) / 1000 * consumer_memory / 1024 for k in kinds if "consumer" in kinds[k]
    )
    gb_seconds += exports * duration_ms({**export, "cpu_ms": 5.0}) / 1000 * export["memory_mb"] / 1024  # the request (its CPU as the bench's CPU table)
    gb_seconds += rows * row_ms / 1000 * worker["memory_mb"] / 1024
    lambda_cost = invocations / 1e6 * P.LAMBDA_PER_MILLION_REQUESTS + gb_seconds * P.LAMBDA_PER_GB_SECOND

    reads = sum(per_month[k] * u["read"] for k in kinds for u in _all_units(kinds[k]))
    writes = sum(per_month[k] * u["write"] for k in kinds for u in _all_units(kinds[k]))
    fixed = [u for u in export["units"] + worker["units"] if not u["key"].startswith("ORG#{org}#STATUS#")]
    reads += exports * sum(u["read"] for u in fixed) + rows * read_per_row
    writes += exports * sum(u["write"] for u in fixed)
    stored_gb = mentors * T.ACTIVITIES_PER_MENTOR_DAY * 365 * T.RETENTION_YEARS * work["activity_item_bytes"] * ACTIVITY_INDEX_COPIES / 1024**3
    dynamodb = reads / 1e6 * P.DYNAMODB_PER_MILLION_READ_UNITS + writes / 1e6 * P.DYNAMODB_PER_MILLION_WRITE_UNITS
    csv_bytes_per_row = work["export_worker_throughput"]["csv_mb"] * 1024**2 / work["export_worker_throughput"]["rows"]
    csv_gb = rows * csv_bytes_per_row / 1024**3
    s3 = exports * 3 / 1000 * P.S3_PER_THOUSAND_PUTS + csv_gb * 12 * P.S3_PER_GB_MONTH  # a year of monthly files kept
    return {
        "API Gateway": api,
        "Lambda": lambda_cost,
        "DynamoDB requests": dynamodb,
        "DynamoDB storage": stored_gb * P.DYNAMODB_PER_GB_MONTH,
        "DynamoDB Streams": records * P.DYNAMODB_STREAMS_LAMBDA_READS,
        "S3": s3,
    }


def predict(counts: dict[str, int], work: dict[str, Any] | None = None) -> dict[str, float]:
    """What `counts` requests of each kind cost by the measured work: DynamoDB calls, read and write
    units and stream records of the requests, and the stream consumer's units for those records."""
    work = work or load_work()
    out = dict.fromkeys(("calls", "read", "write", "stream_records", "consumer_records", "consumer_read", "consumer_write"), 0.0)
    for k, n in counts.items():
        kind = work["kinds"][k]
        out["calls"] += n * sum(v for name, v in kind["calls"].items() if not name.endswith("(refused)"))
        out["read"] += n * sum(u["read"] for u in kind["units"])
        out["write"] += n * sum(u["write"] for u in kind["units"])
        out["stream_records"] += n * kind["stream_records"]
        out["consumer_records"] += n * kind["consumer"]["records"]
        out["consumer_read"] += n * sum(u["read"] for u in kind["consumer"]["units"])
        out["consumer_write"] += n * sum(u["write"] for u in kind["consumer"]["units"])
    return out
