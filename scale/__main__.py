"""python -m scale [--write]: the scale model's tables (docs/scaling.md); `make scale-model` writes them.

Prints the tables for every scale of scale/profile.py; with --write, replaces the generated block of
docs/scaling.md with them (tests/unit/test_scaling_doc.py fails when the two differ).
"""

from __future__ import annotations

import sys
from pathlib import Path

from scale import prices as P
from scale import profile as T
from scale.model import Result, evaluate, export_timing, load_work

DOC = Path(__file__).resolve().parents[1] / "docs" / "scaling.md"
BEGIN, END = "<!-- scale-model: begin (make scale-model writes this block) -->", "<!-- scale-model: end -->"


def _n(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _groups(groups: list[tuple[int, int]]) -> str:
    return ", ".join(f"{n:,} × {size:,}" for n, size in sorted(groups, key=lambda g: g[1]))


def render() -> str:
    work = load_work()
    results: list[Result] = [evaluate(name, groups, work) for name, groups in T.SCALES]
    out = [
        f"Work per request measured {work['measured']} (`scale/work.json`); prices {P.REGION} as of {P.PRICES_DATE} (`scale/prices.py`); "
        f"profile `scale/profile.py`: peak hour {T.PEAK_HOUR_SHARE:.0%} of the day, busiest second {T.PEAK_SECOND_FACTOR:g}× that hour's mean, "
        f"{T.ACTIVITIES_PER_MENTOR_DAY:g} activities per mentor a day, {T.RETENTION_YEARS} years kept.",
        "",
        "### Load at the peak second",
        "",
        _table(
            [
                "scale",
                "organizations (count × mentors)",
                "mentors",
                "API requests/s",
                "Lambda concurrency",
                "stream records/s: table / largest org",
                "shards",
                "records/s per shard (consumer keeps up to)",
            ],
            [
                [
                    r.name,
                    _groups(g),
                    f"{r.mentors:,}",
                    _n(r.api_per_second),
                    _n(r.concurrency),
                    f"{_n(r.table_records_per_second)} / {_n(r.largest_org_records_per_second)}",
                    f"{r.shards:,}",
                    f"{_n(r.shard_records_per_second)} ({_n(r.shard_capacity)})",
                ]
                for r, (_, g) in zip(results, T.SCALES, strict=True)
            ],
        ),
        "",
        "### First limit of each scale",
        "",
        "Utilisation is the share of the limit the peak second uses; everything grows linearly with mentors, so the limit is reached at the size divided by the utilisation.",
        "",
        _table(
            ["scale", "largest organization", "first limit", "used", "reached at", "next limit", "used"],
            [[r.name, f"{r.largest:,}", r.first_limit.name, f"{r.first_limit.utilisation:.1%}", _reached(r.first_limit), _second(r).name, f"{_second(r).utilisation:.1%}"] for r in results],
        ),
        "",
        f"### Every limit at the largest scale ({results[-1].name})",
        "",
        _table(
            ["limit", "used", "grows with", "reached at"],
            [[limit.name, f"{limit.utilisation:.1%}", limit.grows_with, _reached(limit)] for limit in sorted(results[-1].limits, key=lambda x: -x.utilisation)],
        ),
        "",
        f"### Hottest partition of every key and index ({results[-1].name})",
        "",
        f"Units per second on one partition at the peak second (limits {P.PARTITION_READ_UNITS_PER_SECOND:,} RCU, {P.PARTITION_WRITE_UNITS_PER_SECOND:,} WCU). "
        "An organization key's hottest partition is the largest organization's; a user key's is a coordinator's (20 mentors' reviews) or a mentor's. "
        "Keys of one item (an activity, a contact, a class, a guard) are spread over as many partitions as items and are left out.",
        "",
        _table(
            ["index", "partition key", "scope", "RCU/s", "WCU/s", "of the partition's limit"],
            [[p.index, f"`{p.key}`", p.scope, _n(p.read), _n(p.write), f"{p.utilisation:.1%}"] for p in results[-1].partitions],
        ),
        "",
        f"While an organization's Bufdir export runs, its Query reads `ORG#{{org}}#STATUS#approved` at {_n(results[-1].export_read_per_second)} RCU/s "
        f"(one worker, pages read back to back); the largest organization's monthly export takes {_n(results[-1].export_seconds)} s, "
        f"and the scheduled exports of every organization take {results[-1].export_drain_seconds / 3600:.1f} h to drain through the {P.EXPORT_WORKERS} workers.",
        "",
        "### The export's limit by the worker's memory",
        "",
        f"A month of one organization's approved activities ({T.ACTIVITIES_PER_MENTOR_DAY:g} a mentor a day) exported by one worker invocation, which has {P.LAMBDA_MAX_TIMEOUT_SECONDS - P.EXPORT_RESERVE_SECONDS} s "
        f"(Lambda's {P.LAMBDA_MAX_TIMEOUT_SECONDS} s, less the {P.EXPORT_RESERVE_SECONDS} s it keeps to end `failed` in time); "
        "its CPU per row is the `exports` benchmark's, stretched to the memory's share of a vCPU; GB-s per 1,000 rows is what the worker is billed.",
        "",
        _table(
            ["worker MemorySize", "ms per row", "50,000 mentors' month", "largest organization that fits", "GB-s per 1,000 rows", "RCU/s on the approved partition"],
            [_export_row(work, memory) for memory in (1024, P.FULL_VCPU_MEMORY_MB)],
        ),
        "",
        "### Cost per month",
        "",
        f"US dollars, {P.REGION} list prices, {T.DAYS_PER_MONTH} days of the profile, one Bufdir export per organization; DynamoDB storage when {T.RETENTION_YEARS} years of activities are kept "
        "(table and five indexes); stream reads by Lambda are free.",
        "",
        _table(
            ["scale", "mentors", "API Gateway", "Lambda", "DynamoDB requests", "DynamoDB storage", "Streams", "S3", "total", "per 1,000 active mentors"],
            [[r.name, f"{r.mentors:,}", *(_n(v) for v in r.cost.values()), _n(r.cost_total), _n(r.cost_per_thousand)] for r in results],
        ),
    ]
    return "\n".join(out)


def _reached(limit) -> str:  # type: ignore[no-untyped-def]
    if limit.grows_with.startswith("("):
        return "—"
    where = "in the largest organization" if limit.grows_with == "largest organization" else "in all" if limit.grows_with == "all mentors" else "for one user"
    return f"{limit.reached_at:,} mentors {where}"


def _second(result: Result):  # type: ignore[no-untyped-def]
    return result.ranked()[1]


def _export_row(work: dict, memory: int) -> list[str]:  # type: ignore[type-arg]
    row_ms, read_per_row = export_timing(work, memory)
    rows = 50_000 * T.ACTIVITIES_PER_MENTOR_DAY * T.DAYS_PER_MONTH
    fits = int((P.LAMBDA_MAX_TIMEOUT_SECONDS - P.EXPORT_RESERVE_SECONDS) * 1000 / row_ms / (T.ACTIVITIES_PER_MENTOR_DAY * T.DAYS_PER_MONTH))
    return [
        f"{memory:,} MB" + (" (template.yaml)" if memory == work["kinds"]["export"]["worker"]["memory_mb"] else ""),
        f"{row_ms:.3f}",
        f"{rows * row_ms / 1000:,.0f} s",
        f"{fits:,} mentors",
        f"{row_ms * memory / 1024:.3f}",
        f"{1000 / row_ms * read_per_row:,.0f}",
    ]


def block() -> str:
    return f"{BEGIN}\n{render()}\n{END}"


def main(argv: list[str]) -> int:
    text = block()
    if "--write" in argv:
        document = DOC.read_text()
        start, end = document.index(BEGIN), document.index(END) + len(END)
        DOC.write_text(document[:start] + text + document[end:])
        print(f"wrote {DOC.relative_to(DOC.parents[1])}")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
