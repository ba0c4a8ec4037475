"""CPU per request: every HTTP route of template.yaml through our handler, next to a bare boto3
twin (tests/bench/bare.py) doing the same job with the least DynamoDB work it needs, in the same
run, against DynamoDB Local (the engine is another process: a thread's CPU time is ours alone).

Lambda bills and waits for this CPU: a function gets a share of a vCPU in proportion to its memory
(1 vCPU at 1,769 MB), so at 512 MB every millisecond of CPU here is about 3.5 ms of billed time.
Then, per route, the first request in a fresh interpreter (import + first answer: a cold start)
and the peak memory after it, each as a ratio to the twin's.

The routes come from template.yaml; a route without a recipe below fails the benchmark.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.bench import BenchEnv, count_calls, table
from tests.helpers import Person, make_user

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RUNS = int(os.environ.get("BENCH_CPU_RUNS", "30"))  # measured requests per row
BATCH_RUNS = max(3, RUNS // 4)  # sync of 25 and bulk of 50 write 25 and 50 activities each
WARMUP = 3
COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", "5"))
ACTIVITIES = 300  # of one user, as in the measurement
LISTED = 110  # contacts, tasks, classes, users, exports, progress rows: more than a page of 100
SUCCESS = (200, 201, 202, 204)
TARGET_CPU, TARGET_COLD, TARGET_MEMORY = 1.3, 1.15, 1.3


@dataclass
class Case:
    """One row: requests to one route. `request(n)` gives the n-th request (path with query, body);
    every n is used once, so a write never repeats on the same item."""

    route: str  # the template's route key, e.g. "GET /api/activities"
    label: str
    who: Person
    request: Callable[[int], tuple[str, Any]]
    twin: str | None = None  # a handler of tests/bench/bare.py
    runs: int = RUNS
    same_body: bool = False  # a read: ours and the twin must answer the same body
    before: Callable[[], Any] | None = None  # run before each request, outside the timing
    _next: int = field(default=0, repr=False)

    def fresh(self) -> int:
        self._next += 1
        return self._next - 1

    @property
    def needs(self) -> int:
        """How many distinct requests the row sends (pools of prepared items are this big)."""
        twin = 2 if self.twin else 1
        return twin * (WARMUP + self.runs + COLD_RUNS) + 2


class World:
    """One organization with the data every recipe reads: a mentor with 300 activities, and more
    than a page of 100 of everything that is listed."""

    def __init__(self, env: BenchEnv):
        self.env, self.api = env, env.api
        self.org = f"bench-cpu-{uuid.uuid4().hex[:8]}"
        self.admin = make_user(self.api, self.org, "admin")
        self.coordinator = make_user(self.api, self.org, "coordinator")
        self.mentor = make_user(self.api, self.org)
        self.members = [make_user(self.api, self.org) for _ in range(LISTED)]
        for n in range(ACTIVITIES):
            self.activity(self.mentor, n)
        self.activity_id = self.activity(self.mentor, ACTIVITIES)
        self.contacts = [self.call("POST", "/api/contacts", self.mentor, {"name": f"Contact {n:03d}"})["id"] for n in range(LISTED)]
        self.tasks = [self.call("POST", "/api/tasks", self.admin, self.task_body(n))["id"] for n in range(LISTED)]
        self.classes = [self.book() for _ in range(LISTED)]
        self.user_activity = self.call("GET", f"/api/user-activities?class_id={self.classes[0]}", self.mentor)["items"][0]["id"]
        for n in range(LISTED):
            self.call("POST", "/api/user_progress", self.mentor, {"data": {"progress_type": "sign_learned", "item_id": f"sign-{n}", "score": n}})
        self.exports = []
        for _ in range(LISTED):  # one unfinished export per organization at a time: each is finished as the worker would
            self.exports.append(self.call("POST", "/api/exports/bufdir", self.coordinator, {"period_start": "2026-01-01", "period_end": "2026-01-31"})["id"])
            self._finish_export(self.exports[-1])
        self.done_export = self.exports[0]
        self._counters()

    def call(self, method: str, path: str, who: Person, body: Any = None) -> Any:
        reply = self.api.call(method, path, who, body)
        assert reply.status in SUCCESS, (method, path, reply.status, reply.body)
        return reply.body

    def activity(self, who: Person, n: int, **fields: Any) -> str:
        body = {"activity_date": self.past(n), "activity_type": "meeting", "duration_minutes": 45, "summary": f"Met for coffee, talked about week {n % 52}.", **fields}
        return str(self.call("POST", "/api/activities", who, body)["id"])

    @staticmethod
    def past(n: int) -> str:
        """A distinct instant in 2025 for each n (no two activities of a user on the same minute)."""
        return f"2025-{1 + n % 12:02d}-{1 + n // 12 % 28:02d}T{6 + n // 336 % 16:02d}:{n % 60:02d}:00Z"

    @staticmethod
    def task_body(n: int) -> dict[str, Any]:
        return {"title": f"Task {n}", "content": "Read the text.", "answer": "42", "description": "A reading task.", "type": "reading", "difficulty": "easy"}

    def book(self, who: Person | None = None) -> str:
        body = {"class_type": "grupal", "max_participants": 10, "scheduled_at": "2027-03-01T10:00:00Z", "title": "Sign language"}
        return str(self.call("POST", "/api/classes", who or self.mentor, body)["id"])

    def took_place(self, class_id: str) -> None:
        """The class's time has come (booking refuses a past time, so it is moved back in the table)."""
        from activity_tracker.repository.learning import ClassItem, get_class

        past = "2026-01-01T10:00:00.000Z"
        klass = get_class(self.org, class_id)
        assert klass is not None
        klass.update(actions=[ClassItem.status.set("scheduled"), ClassItem.scheduled_at.set(past), ClassItem.gsi2sk.set(f"{past}#{class_id}")])

    def finish_unfinished_exports(self) -> None:
        from activity_tracker import keys
        from activity_tracker.repository.exports import ExportItem

        for item in ExportItem.by_organization.query(keys.exports_of_org(self.org)):
            if item.status in ("pending", "running"):
                self._finish_export(item.id)

    def _finish_export(self, export_id: str) -> None:
        from activity_tracker.repository.exports import ExportItem, get

        item = get(self.org, export_id)
        assert item is not None
        summary = {"categories": {"outreach": {"activity_count": 12, "activity_days": 9, "participants": 12, "duration_minutes": 540}}, "active_mentors": 3}
        actions = [ExportItem.status.set("done"), ExportItem.s3_key.set(f"exports/{self.org}/{export_id}.csv"), ExportItem.row_count.set(12), ExportItem.summary.set(summary), ExportItem.finished_at.set("2026-02-01T00:00:00.000Z")]
        item.update(actions=actions)

    def _counters(self) -> None:
        """Twelve months of counters for the mentor and the organization (the stream consumer does not run here)."""
        import boto3

        from activity_tracker import keys
        from activity_tracker.repository.table import TABLE_NAME

        client = boto3.client("dynamodb")
        for pk, extra in ((keys.user_pk(self.org, self.mentor.sub), {}), (keys.org_pk(self.org), {"active_users": {"N": "3"}})):
            for month in range(1, 13):
                item = {"pk": {"S": pk}, "sk": {"S": f"STATS#2026-{month:02d}"}, "type": {"S": "COUNTER"}, "activity_count": {"N": "25"}, "duration_minutes": {"N": "1125"}, "type_meeting": {"N": "20"}, "type_home_visit": {"N": "5"}, **extra}
                client.put_item(TableName=TABLE_NAME, Item=item)

    def pool(self, size: int, make: Callable[[int], str]) -> list[str]:
        return [make(n) for n in range(size)]

    def event(self, case: Case, n: int) -> tuple[Any, dict[str, Any]]:
        from local.events import http_event

        method = case.route.split(" ", 1)[0]
        path, body = case.request(n)
        url = urlsplit(path)
        found = self.api.stack.match(method, url.path)
        assert found and found[0].key == case.route, (case.route, path)
        route, function, params = found
        data = json.dumps(body).encode() if body is not None else None
        return function, http_event(method, route.key, url.path, url.query, {"content-type": "application/json"}, data, case.who.claims, params or None)


def cases(w: World) -> list[Case]:
    """A recipe for every route; lists at pages of 25 and 100, batches at their maximum."""
    out: list[Case] = []
    only = [key.strip() for key in os.environ.get("BENCH_CPU_ROUTES", "").split(",") if key.strip()]  # e.g. "GET /api/activities" while working on one

    def add(route: str, label: str, who: Person, request: Callable[[int], tuple[str, Any]], **options: Any) -> Case:
        case = Case(route, label, who, request, **options)
        out.append(case)
        return case

    def pooled(route: str, label: str, who: Person, make: Callable[[int], str], request: Callable[[str, int], tuple[str, Any]], **options: Any) -> None:
        case = add(route, label, who, lambda n: ("", None), **options)
        items = w.pool(case.needs if not only or route in only else 0, make)
        case.request = lambda n: request(items[n], n)

    def lists(route: str, path: str, who: Person, twin: str | None = None, query: str = "") -> None:
        for limit in (25, 100):
            add(route, f"page of {limit}", who, lambda n, limit=limit: (f"{path}?{query}limit={limit}", None), twin=twin, same_body=twin is not None)

    mentor, coordinator, admin = w.mentor, w.coordinator, w.admin
    future_class = {"class_type": "grupal", "max_participants": 10, "scheduled_at": "2027-03-01T10:00:00Z", "title": "Sign language"}
    # ---- users, organization, progress
    add("GET /api/users/me", "known user", mentor, lambda n: ("/api/users/me", None), twin="users_me_get", same_body=True)
    add("PATCH /api/users/me", "name", mentor, lambda n: ("/api/users/me", {"name": f"Mentor {n}"}))
    lists("GET /api/users", "/api/users", coordinator)
    add("PATCH /api/users/{id}", "role", admin, lambda n: (f"/api/users/{w.members[n % LISTED].sub}", {"role": "member"}))
    add("GET /api/organization", "", mentor, lambda n: ("/api/organization", None))
    add("PATCH /api/organization", "name", admin, lambda n: ("/api/organization", {"name": f"Bench {n}"}))
    lists("GET /api/user_progress", "/api/user_progress", mentor, query="progress_type=sign_learned&")
    add("POST /api/user_progress", "upsert", mentor, lambda n: ("/api/user_progress", {"data": {"progress_type": "zone_checkin", "item_id": f"zone-{n}", "value": "ok"}}))

    def progress_row(n: int) -> str:
        w.call("POST", "/api/user_progress", mentor, {"data": {"progress_type": "zone_checkin", "item_id": f"gone-{n}"}})
        return f"gone-{n}"

    pooled("DELETE /api/user_progress/by-item", "existing row", mentor, progress_row, lambda item, n: (f"/api/user_progress/by-item?progress_type=zone_checkin&item_id={item}", None))
    # ---- contacts
    add("POST /api/contacts", "", mentor, lambda n: ("/api/contacts", {"name": f"New contact {n}", "notes": "Met at the library."}))
    lists("GET /api/contacts", "/api/contacts", mentor, twin="contacts_list")
    add("GET /api/contacts/{id}", "", mentor, lambda n: (f"/api/contacts/{w.contacts[0]}", None))
    add("PATCH /api/contacts/{id}", "notes", mentor, lambda n: (f"/api/contacts/{w.contacts[1]}", {"notes": f"Edited {n}"}))
    pooled("DELETE /api/contacts/{id}", "own", mentor, lambda n: str(w.call("POST", "/api/contacts", mentor, {"name": f"Gone {n}"})["id"]), lambda item, n: (f"/api/contacts/{item}", None))
    # ---- activities
    add("POST /api/activities", "no contact", mentor, lambda n: ("/api/activities", {"activity_date": World.past(1000 + n), "activity_type": "meeting", "duration_minutes": 60, "summary": "Coffee."}), twin="activities_create")
    lists("GET /api/activities", "/api/activities", mentor, twin="activities_list")
    add("GET /api/activities/{id}", "own", mentor, lambda n: (f"/api/activities/{w.activity_id}", None), twin="activities_get", same_body=True)
    add("PATCH /api/activities/{id}", "summary and duration", mentor, lambda n: (f"/api/activities/{w.activity_id}", {"summary": f"Edited {n}", "duration_minutes": 30 + n % 60}), twin="activities_patch")
    pooled("DELETE /api/activities/{id}", "own", mentor, lambda n: w.activity(mentor, 2000 + n), lambda item, n: (f"/api/activities/{item}", None))

    def deleted(n: int) -> str:
        activity_id = w.activity(mentor, 3000 + n)
        w.call("DELETE", f"/api/activities/{activity_id}", mentor)
        return activity_id

    pooled("POST /api/activities/{id}/restore", "", coordinator, deleted, lambda item, n: (f"/api/activities/{item}/restore", None))
    pooled("POST /api/activities/{id}/review", "approve", coordinator, lambda n: w.activity(mentor, 4000 + n), lambda item, n: (f"/api/activities/{item}/review", {"action": "approve"}))

    def sync(n: int) -> tuple[str, Any]:
        items = [{"activity_date": World.past(5000 + 25 * n + k), "activity_type": "phone_call", "duration_minutes": 15, "local_id": f"sync-{w.org}-{n}-{k}"} for k in range(25)]
        return "/api/activities/sync", {"items": items}

    add("POST /api/activities/sync", "25 new", mentor, sync, twin="activities_sync", runs=BATCH_RUNS)
    bulk_users = [m.sub for m in w.members[:50]]
    add("POST /api/activities/bulk", "50 users", coordinator, lambda n: ("/api/activities/bulk", {"user_ids": bulk_users, "activity": {"activity_date": World.past(6000 + n), "activity_type": "group_activity", "is_group_activity": True, "participant_count": 5, "duration_minutes": 90}}), runs=BATCH_RUNS)
    pooled("POST /api/activities/{id}/home-visit-report", "", mentor, lambda n: w.activity(mentor, 7000 + n, activity_type="home_visit"), lambda item, n: (f"/api/activities/{item}/home-visit-report", {"content": "All well at home."}))
    # ---- stats
    add("GET /api/stats/me", "year given", mentor, lambda n: ("/api/stats/me?year=2026", None), twin="stats_me", same_body=True)
    add("GET /api/stats/organization", "year given", coordinator, lambda n: ("/api/stats/organization?year=2026", None))
    # ---- tasks, classes, user activities
    add("POST /api/tasks", "", admin, lambda n: ("/api/tasks", World.task_body(n)))
    lists("GET /api/tasks", "/api/tasks", mentor)
    add("GET /api/tasks/{id}", "", mentor, lambda n: (f"/api/tasks/{w.tasks[0]}", None))
    add("POST /api/classes", "grupal", mentor, lambda n: ("/api/classes", future_class))
    lists("GET /api/classes", "/api/classes", mentor, twin="classes_list")
    add("GET /api/classes/{id}", "", mentor, lambda n: (f"/api/classes/{w.classes[0]}", None))
    pooled("POST /api/classes/{id}/confirm", "by the host", mentor, lambda n: w.book(), lambda item, n: (f"/api/classes/{item}/confirm", None))
    pooled("POST /api/classes/{id}/join", "", coordinator, lambda n: w.book(), lambda item, n: (f"/api/classes/{item}/join", None))
    pooled("POST /api/classes/{id}/cancel", "by the host", mentor, lambda n: w.book(), lambda item, n: (f"/api/classes/{item}/cancel", None))
    pooled("POST /api/classes/{id}/tasks", "", admin, lambda n: w.book(), lambda item, n: (f"/api/classes/{item}/tasks", {"task_id": w.tasks[0]}))
    pooled("POST /api/classes/{id}/complete", "", admin, lambda n: w.book(), lambda item, n: (f"/api/classes/{item}/complete", None))
    lists("GET /api/user-activities", "/api/user-activities", mentor)
    add("GET /api/user-activities/{id}", "", mentor, lambda n: (f"/api/user-activities/{w.user_activity}", None))

    def user_activity(n: int) -> str:
        class_id = w.book()
        w.took_place(class_id)  # a member completes only once the class took place
        return str(w.call("GET", f"/api/user-activities?class_id={class_id}", mentor)["items"][0]["id"])

    pooled("POST /api/user-activities/{id}/complete", "", mentor, user_activity, lambda item, n: (f"/api/user-activities/{item}/complete", None))
    # ---- exports
    # one unfinished export per organization: the previous one is finished (as the worker would) before each request is built
    add("POST /api/exports/bufdir", "", coordinator, lambda n: ("/api/exports/bufdir", {"period_start": "2026-01-01", "period_end": "2026-01-31", "format": "csv"}), before=w.finish_unfinished_exports)
    # ---- offline sync
    add("GET /api/sync/pull", "first sync, a page", mentor, lambda n: ("/api/sync/pull?last_pulled_at=0", None))
    add("POST /api/sync/push", "one activity created", mentor, lambda n: ("/api/sync/push?last_pulled_at=0", {"changes": {"activities": {"created": [{"id": f"push-{w.org}-{n}", "activity_date": World.past(9000 + n), "activity_type": "meeting", "status": "under_review", "_status": "created"}], "updated": [], "deleted": []}}}))
    lists("GET /api/exports", "/api/exports", coordinator)
    add("GET /api/exports/{id}", "done (presigned link)", coordinator, lambda n: (f"/api/exports/{w.done_export}", None), twin="exports_get", same_body=True)

    routes = {route.key for route, _ in w.api.stack.routes()}
    covered = {case.route for case in out}
    assert routes == covered, f"routes without a recipe: {sorted(routes - covered)}; recipes without a route: {sorted(covered - routes)}"
    return [case for case in out if case.route in only] if only else out


# ---------------------------------------------------------------- measuring
class Context:
    """What Lambda passes as context, as far as our handlers look at it."""

    function_name = "bench"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def _answer(handler: Any, event: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    started = time.thread_time()
    answer = handler(event, Context())
    return time.thread_time() - started, answer


def _check(case: Case, answer: dict[str, Any], who: str) -> None:
    assert answer["statusCode"] in SUCCESS, (case.route, case.label, who, answer["statusCode"], answer.get("body", "")[:500])


def _first_difference(mine: Any, theirs: Any, where: str = "") -> str:
    if isinstance(mine, dict) and isinstance(theirs, dict):
        for name in sorted(set(mine) | set(theirs)):
            if mine.get(name) != theirs.get(name):
                return _first_difference(mine.get(name), theirs.get(name), f"{where}.{name}")
    if isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
        for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{where}[{i}]")
    return f"at {where or 'the top'}: ours {str(mine)[:200]!r}, twin {str(theirs)[:200]!r}"


@dataclass
class CpuRow:
    case: Case
    ours: float  # ms, median
    twin: float | None
    calls: str
    twin_calls: str | None


def _answer_after(case: Case, handler: Any, event: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    if case.before is not None:
        case.before()
    return _answer(handler, event)


def cpu_row(w: World, case: Case) -> CpuRow:
    from tests.bench import bare

    function, _ = w.event(case, 0)
    ours = w.api.handlers.get(function)
    twin = getattr(bare, case.twin) if case.twin else None
    own_events = [w.event(case, case.fresh())[1] for _ in range(WARMUP + case.runs + 1)]
    twin_events = [w.event(case, case.fresh())[1] for _ in range(WARMUP + case.runs + 1)] if twin else []
    for event in own_events[:WARMUP]:
        _check(case, _answer_after(case, ours, event)[1], "ours")
    for event in twin_events[:WARMUP]:
        _check(case, _answer(twin, event)[1], "twin")
    if twin and case.same_body:  # the twin does the same job: the same answer to the same request
        mine, theirs = ours(own_events[0], Context()), twin(own_events[0], None)
        mine, theirs = json.loads(mine["body"]), json.loads(theirs["body"])
        assert mine == theirs, f"{case.route} {case.label}: the twin answers another body: {_first_difference(mine, theirs)}"
    own_times, twin_times = [], []
    for i in range(WARMUP, WARMUP + case.runs):  # interleaved, so machine noise hits both alike
        seconds, answer = _answer_after(case, ours, own_events[i])
        _check(case, answer, "ours")
        own_times.append(seconds)
        if twin:
            seconds, answer = _answer(twin, twin_events[i])
            _check(case, answer, "twin")
            twin_times.append(seconds)
    with count_calls() as counter:
        _check(case, _answer_after(case, ours, own_events[-1])[1], "ours")
    twin_calls = None
    if twin:
        with count_calls() as twin_counter:
            _check(case, _answer(twin, twin_events[-1])[1], "twin")
        twin_calls = twin_counter.describe()
    return CpuRow(case, statistics.median(own_times) * 1000, statistics.median(twin_times) * 1000 if twin else None, counter.describe(), twin_calls)


@dataclass
class ColdRow:
    case: Case
    ours_cpu: float  # ms, median: import + first request
    ours_mb: float
    twin_cpu: float | None = None
    twin_mb: float | None = None


def _first_request(env: dict[str, str], job: dict[str, Any]) -> dict[str, Any]:
    process = subprocess.run([sys.executable, "-S", str(HERE / "first_request_process.py")], input=json.dumps(job), capture_output=True, text=True, env=env, check=False)
    if process.returncode != 0:
        raise RuntimeError(process.stderr[-3000:])
    return json.loads(process.stdout.strip().splitlines()[-1])


def layer_site(into: Path) -> Path:
    """A directory holding what the layer holds: layers/shared/requirements.txt and everything they
    require (extras left out), linked from this environment's site-packages, as `sam build` puts
    them under the layer's python/. A cold start runs with it and the standard library only
    (`python -S`): the development environment holds more (awscrt, pyOpenSSL, blinker, a few hundred
    distributions for pydantic's plugin scan...), which botocore, urllib3, PynamoDB and pydantic
    would pick up when found, and Lambda has none of them."""
    from importlib.metadata import distribution

    from packaging.requirements import Requirement

    wanted = [Requirement(line).name for line in (ROOT / "layers" / "shared" / "requirements.txt").read_text().splitlines() if line.strip() and not line.startswith("#")]
    closure: set[str] = set()
    into.mkdir(parents=True, exist_ok=True)
    while wanted:
        name = wanted.pop().lower().replace("_", "-")
        if name in closure:
            continue
        closure.add(name)
        dist = distribution(name)
        for top in {str(path).split("/")[0] for path in dist.files or [] if not str(path).startswith("..")} - {"__pycache__"}:
            link = into / top
            if not link.exists():
                link.symlink_to(Path(str(dist.locate_file(top))))
        for spec in dist.requires or []:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                wanted.append(requirement.name)
    return into


def cold_row(w: World, case: Case, site: Path) -> ColdRow:
    from tests.bench.foundation import _function_env

    env = _function_env(w.env)
    function, _ = w.event(case, 0)
    ours: list[dict[str, Any]] = []
    twin: list[dict[str, Any]] = []
    for _ in range(COLD_RUNS):  # interleaved
        _, event = w.event(case, case.fresh())
        if case.before is not None:
            case.before()
        ours.append(_first_request(env, {"module": str(function.code_uri / "app.py"), "attribute": "handler", "path": [str(ROOT / "layers" / "shared"), str(site)], "event": event, "status": SUCCESS}))
        if case.twin:
            _, event = w.event(case, case.fresh())
            twin.append(_first_request(env, {"module": str(HERE / "bare.py"), "attribute": case.twin, "path": [str(site)], "event": event, "status": SUCCESS}))
    row = ColdRow(case, statistics.median(r["cpu"] for r in ours) * 1000, statistics.median(r["peak_mb"] for r in ours))
    if twin:
        row.twin_cpu, row.twin_mb = statistics.median(r["cpu"] for r in twin) * 1000, statistics.median(r["peak_mb"] for r in twin)
    return row


# Memory sizing (docs/operations.md, Lambda memory): a request's duration on Lambda is its CPU time
# stretched by the memory's share of a vCPU (1 vCPU at 1,769 MB; Python uses one) plus the time it
# waits for DynamoDB, which memory does not change; it is billed per GB-second.
SIZES = (256, 512, 768, 1024, 1769)
IO_MS = {"TransactWriteItems": 10.0}  # in-region round trips, typical p50; every other call 4 ms
IO_DEFAULT_MS = 4.0
USD_PER_GB_SECOND = 0.0000166667  # x86, first price tier


def duration_ms(cpu_ms: float, io_ms: float, memory_mb: int) -> float:
    return cpu_ms * 1769 / min(memory_mb, 1769) + io_ms


def usd_per_million(cpu_ms: float, io_ms: float, memory_mb: int) -> float:
    return memory_mb / 1024 * duration_ms(cpu_ms, io_ms, memory_mb) / 1000 * USD_PER_GB_SECOND * 1e6


def balanced(cpu_ms: float, io_ms: float) -> int:
    """AWS Lambda Power Tuning's "balanced" pick: the size minimising cost and duration, each
    relative to its best, weighted alike."""
    costs = {m: usd_per_million(cpu_ms, io_ms, m) for m in SIZES}
    durations = {m: duration_ms(cpu_ms, io_ms, m) for m in SIZES}
    return min(SIZES, key=lambda m: costs[m] / min(costs.values()) + durations[m] / min(durations.values()))


def io_ms_of(counter_description: str) -> float:
    import re

    return sum(int(n) * IO_MS.get(op, IO_DEFAULT_MS) for op, n in re.findall(r"(\w+) ×(\d+)", counter_description))


def configured_memory(stack: Any, route: str) -> int:
    found = stack.match(route.split(" ", 1)[0], route.split(" ", 1)[1].replace("{id}", "x"))
    properties = stack.resources[found[1].logical_id].get("Properties") or {}
    return int(properties.get("MemorySize", (stack.doc.get("Globals") or {}).get("Function", {}).get("MemorySize", 128)))


def sizing_table(stack: Any, rows: list[CpuRow]) -> str:
    lines = []
    for row in rows:
        io = io_ms_of(row.calls)
        cells = [f"{duration_ms(row.ours, io, m):.0f} / {usd_per_million(row.ours, io, m):.2f}" for m in SIZES]
        lines.append([f"`{row.case.route}`", row.case.label, f"{row.ours:.1f}", f"{io:.0f}", *cells, balanced(row.ours, io), configured_memory(stack, row.case.route)])
    return table(["route", "request", "CPU ms", "DynamoDB wait ms", *[f"{m} MB: ms / $ per M" for m in SIZES], "balanced pick", "MemorySize"], lines)


PYDANTIC_PROBE = """
import json, sys, time
sys.path[:0] = json.loads(sys.stdin.read())
cpu = time.process_time()
from activity_tracker.models.activity import ActivityCreate
ActivityCreate.model_validate({"activity_date": "2026-01-02", "activity_type": "meeting", "duration_minutes": 60})
print(json.dumps({"cpu": time.process_time() - cpu}))
"""


def pydantic_cost(env: dict[str, str], site: Path) -> float:
    """CPU ms a body route's first request spends on pydantic: importing it and the activity models,
    building ActivityCreate and validating one body (medians of fresh interpreters, as above)."""
    runs = []
    for _ in range(COLD_RUNS):
        done = subprocess.run([sys.executable, "-S", "-c", PYDANTIC_PROBE], input=json.dumps([str(ROOT / "layers" / "shared"), str(site)]), capture_output=True, text=True, env=env, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1])["cpu"])
    return statistics.median(runs) * 1000


def _ratio(ours: float, twin: float | None, target: float) -> str:
    if twin is None:
        return "—"
    ratio = ours / twin
    return f"{ratio:.2f}" if ratio <= target else f"**{ratio:.2f}**"


def run(env: BenchEnv) -> str:
    started = time.perf_counter()
    w = World(env)
    recipes = cases(w)
    print(f"  cpu: world ready in {time.perf_counter() - started:.0f} s, {len(recipes)} rows", flush=True)
    cpu_rows = [cpu_row(w, case) for case in recipes]
    first_of_route: dict[str, Case] = {}
    for case in recipes:
        first_of_route.setdefault(case.route, case)
    with tempfile.TemporaryDirectory() as scratch:
        site = layer_site(Path(scratch) / "python")
        cold_rows = [cold_row(w, case, site) for case in first_of_route.values()]
        from tests.bench.foundation import _function_env

        pydantic_ms = pydantic_cost(_function_env(w.env), site)
    twinned = [r for r in cpu_rows if r.twin is not None]
    over = [r for r in twinned if r.ours / (r.twin or 1) > TARGET_CPU]
    cold_over = [r for r in cold_rows if r.twin_cpu and (r.ours_cpu / r.twin_cpu > TARGET_COLD or r.ours_mb / (r.twin_mb or 1) > TARGET_MEMORY)]
    cpu_table = table(
        ["route", "request", "ours CPU ms", "bare CPU ms", "ratio", "ours: DynamoDB calls", "bare: DynamoDB calls"],
        [[f"`{r.case.route}`", r.case.label, f"{r.ours:.2f}", f"{r.twin:.2f}" if r.twin is not None else "—", _ratio(r.ours, r.twin, TARGET_CPU), r.calls, r.twin_calls or "—"] for r in cpu_rows],
    )
    cold_table = table(
        ["route", "ours first request CPU ms", "bare", "ratio", "ours peak MB", "bare", "ratio"],
        [
            [f"`{r.case.route}`", f"{r.ours_cpu:.0f}", f"{r.twin_cpu:.0f}" if r.twin_cpu else "—", _ratio(r.ours_cpu, r.twin_cpu, TARGET_COLD), f"{r.ours_mb:.1f}", f"{r.twin_mb:.1f}" if r.twin_mb else "—", _ratio(r.ours_mb, r.twin_mb, TARGET_MEMORY)]
            for r in cold_rows
        ],
    )
    return (
        "## CPU per request\n\n"
        f"Every HTTP route of template.yaml (the list is read from it), each row the median of {RUNS} requests ({BATCH_RUNS} for the batches) "
        f"after {WARMUP} warm-up ones, through the handler's module as Lambda calls it, in process, against DynamoDB Local (a Java process of its "
        "own: the thread's CPU time, `time.thread_time()`, is our code's, botocore's and the JSON's, never the engine's). The data: one organization, "
        f"a member with {ACTIVITIES} activities, {LISTED} each of users, contacts, tasks, classes (and the member's user activities), progress rows and exports. "
        "Lists are read at pages of 25 and 100, the batches at their maximum (sync of 25 new items, bulk for 50 users).\n\n"
        f"The bare column is a hand-written boto3 handler doing the same job with the least it needs (`tests/bench/bare.py`): the caller's GetItem, "
        "the calls the job cannot do without (a Query of exactly the page, one conditional PutItem for one item), TypeDeserializer, json.dumps; "
        "for the reads it answers the very same body (checked). Twins exist for the hot routes; the other rows show ours only. "
        f"Targets: CPU ≤ {TARGET_CPU}× the bare handler's; bold is over.\n\n"
        + cpu_table
        + f"\n\nTwinned rows over {TARGET_CPU}×: "
        + (", ".join(f"`{r.case.route}` {r.case.label} ({r.ours / (r.twin or 1):.2f})" for r in over) or "none")
        + ".\n\n### First request and memory\n\n"
        f"Median of {COLD_RUNS} fresh interpreters per route, interleaved with the twin's: the handler module imported as Lambda's init does, then its "
        "first request answered; CPU time of the process from the import on (interpreter start-up excluded, for both), and its peak resident memory "
        "(VmHWM: what Lambda reports as Max Memory Used). The interpreter sees the standard library and the layer's packages only (`python -S`, "
        f"the layer's requirements linked into one directory, as `sam build` lays them out), as on Lambda. Targets: first request ≤ {TARGET_COLD}×, memory ≤ {TARGET_MEMORY}× the bare handler's.\n\n"
        + cold_table
        + "\n\nTwinned routes over a target: "
        + (", ".join(f"`{r.case.route}` (+{r.ours_cpu - (r.twin_cpu or 0):.0f} ms)" for r in cold_over) or "none")
        + ". "
        f"Why: a route that takes a JSON body validates it with pydantic, and its first request loads it; measured the same way, importing "
        f"pydantic and the activity models, building `ActivityCreate` and validating one body costs {pydantic_ms:.0f} ms of CPU, which the bare twin, "
        "checking fields by hand, never pays. Reads load no pydantic (plainly valid query strings are read without it, `activity_tracker/queries.py`) "
        "nor powertools (loaded when a line is logged). In Lambda the body model is loaded and built during the init phase, which runs on a full "
        "vCPU, so this costs a cold start less wall time than its CPU share suggests. The cold rows are medians of few runs on a shared "
        "2-core machine: expect a few percent of noise either way.\n\n### Memory sizing from these numbers\n\n"
        "Per route, a warm request's duration and cost on Lambda at each size, from the CPU measured above: the CPU time stretched by the "
        "memory's share of a vCPU (one vCPU at 1,769 MB; Python runs on one) plus the wait for DynamoDB, which memory does not shorten "
        f"(assumed {IO_DEFAULT_MS:.0f} ms a call, {IO_MS['TransactWriteItems']:.0f} ms a TransactWriteItems, in region), billed at "
        f"${USD_PER_GB_SECOND:.10f} per GB-second (x86; the $0.20 per million requests comes on top at every size). The balanced pick is "
        "AWS Lambda Power Tuning's: least cost and duration, each relative to its best, weighted alike. MemorySize is template.yaml's "
        "(docs/operations.md explains the choice).\n\n" + sizing_table(w.api.stack, cpu_rows)
    )
