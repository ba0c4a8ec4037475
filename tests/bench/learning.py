"""DynamoDB calls per class booking, join and completion; 20 concurrent joins on a class of 5."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

from tests.bench import BenchEnv, count_calls, table
from tests.helpers import make_user


def run(env: BenchEnv) -> str:
    api = env.api
    org = f"bench-learn-{uuid.uuid4().hex[:8]}"
    host, admin = make_user(api, org), make_user(api, org, "admin")
    learners = [make_user(api, org) for _ in range(20)]
    when = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = []

    def measure(label: str, method: str, path: str, who, body=None) -> dict:
        with count_calls() as counter:
            reply = api.call(method, path, who, body)
        rows.append([label, reply.status, counter.total, counter.describe(), f"{counter.write_units:g}"])
        return reply.body

    klass = measure("book a class", "POST", "/api/classes", host, {"class_type": "grupal", "max_participants": 5, "scheduled_at": when})
    measure("join", "POST", f"/api/classes/{klass['id']}/join", learners[0])
    measure("join again (409 conflict)", "POST", f"/api/classes/{klass['id']}/join", learners[0])
    task = api.call("POST", "/api/tasks", admin, {"title": "T", "type": "reading", "difficulty": "easy"}).body
    measure("attach a task (host + 1 participant)", "POST", f"/api/classes/{klass['id']}/tasks", host, {"task_id": task["id"]})
    measure("complete the class (host + 1 participant)", "POST", f"/api/classes/{klass['id']}/complete", admin)

    race = api.call("POST", "/api/classes", host, {"class_type": "grupal", "max_participants": 5, "scheduled_at": when}).body
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda who=who: statuses.append(api.call("POST", f"/api/classes/{race['id']}/join", who).status)) for who in learners]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    final = api.call("GET", f"/api/classes/{race['id']}", host).body
    outcome = f"{statuses.count(200)} joined, {statuses.count(409)} × 409 class_full, {final['current_participants']} participants stored, in {elapsed:.2f} s"
    return (
        "## Learning platform (issue 6)\n\n"
        + table(["request", "status", "calls", "operations", "WCU (est.)"], rows)
        + f"\n\n20 concurrent joins on a class of 5: {outcome}. Capacity is a condition on the class item inside the join's "
        "transaction, so it holds under any concurrency; a refused join costs one consistent GetItem of the class to name the reason."
    )
