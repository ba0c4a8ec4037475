"""Learning platform: DynamoDB calls per booking, join, attach and completion, and the
outcome of 20 concurrent joins on a class of 5."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections import Counter

from tests.bench import BenchEnv, count_calls, table
from tests.helpers import Person, make_user

ADMIN = "bench-admin@bench.example"


def _soon() -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")


def calls_per_request(env: BenchEnv) -> str:
    api, org = env.api, f"bench-{uuid.uuid4().hex[:8]}"
    admin = Person.new(org, email=ADMIN)
    api.call("GET", "/api/users/me", admin)
    host = make_user(api, org)
    learners = [make_user(api, org) for _ in range(3)]
    rows = []

    def measure(label: str, method: str, path: str, who: Person, body=None):
        with count_calls() as counter:
            reply = api.call(method, path, who, body)
        rows.append([label, reply.status, counter.total, counter.describe()])
        return reply

    task = measure("POST /api/tasks", "POST", "/api/tasks", admin, {"title": "Bench", "type": "reading", "difficulty": "easy"}).body
    measure("GET /api/tasks?type=reading", "GET", "/api/tasks?type=reading", admin)
    klass = measure("POST /api/classes (book: class + anfitrion activity)", "POST", "/api/classes", host, {"class_type": "grupal", "max_participants": 3, "scheduled_at": _soon()}).body
    path = f"/api/classes/{klass['id']}"
    measure("POST …/confirm", "POST", f"{path}/confirm", host)
    measure("POST …/join (accepted)", "POST", f"{path}/join", learners[0])
    for who in learners[1:]:
        api.call("POST", f"{path}/join", who)
    measure("POST …/join (refused: full)", "POST", f"{path}/join", make_user(api, org))
    measure("POST …/join (refused: already in)", "POST", f"{path}/join", learners[0])
    measure("POST …/tasks (attach to 4 members)", "POST", f"{path}/tasks", host, {"task_id": task["id"]})
    mine = api.call("GET", "/api/user-activities", learners[0]).body["items"][0]
    measure("GET /api/user-activities", "GET", "/api/user-activities", learners[0])
    measure("GET /api/user-activities?class_id=…", "GET", f"/api/user-activities?class_id={klass['id']}", learners[0])
    measure("GET /api/user-activities/{id}", "GET", f"/api/user-activities/{mine['id']}", learners[0])
    from activity_tracker.repository.learning import ClassItem, get_class

    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")  # a member completes once the class took place
    get_class(org, klass["id"]).update(actions=[ClassItem.scheduled_at.set(past), ClassItem.gsi2sk.set(f"{past}#{klass['id']}")])
    measure("POST /api/user-activities/{id}/complete", "POST", f"/api/user-activities/{mine['id']}/complete", learners[0])
    measure("POST /api/user-activities/{id}/complete (again: no write)", "POST", f"/api/user-activities/{mine['id']}/complete", learners[0])
    measure("POST …/complete (class of 4 members)", "POST", f"{path}/complete", admin)
    measure("GET /api/users", "GET", "/api/users", admin)
    return (
        "## Learning platform: DynamoDB calls per request\n\n"
        "Each row is one request by a signed-in user (the caller's own `GetItem` included). A join is one "
        "`TransactWriteItems` (class update under conditions + user activity put) and one consistent `GetItem` "
        "for the reply (or for the reason of a refusal). `count_calls` counts only calls that succeed: a refused join "
        "also made one cancelled `TransactWriteItems` (no write is charged for it, but it is a round trip) that the "
        "table does not show.\n\n" + table(["request", "status", "calls", "operations"], rows)
    )


def concurrent_joins(env: BenchEnv, joiners: int = 20, places: int = 5) -> str:
    api, org = env.api, f"bench-{uuid.uuid4().hex[:8]}"
    host = make_user(api, org)
    klass = api.call("POST", "/api/classes", host, {"class_type": "grupal", "max_participants": places, "scheduled_at": _soon()}).body
    people = [make_user(api, org) for _ in range(joiners)]
    outcomes: Counter[str] = Counter()
    lock, gate = threading.Lock(), threading.Barrier(joiners)

    def join(who: Person) -> None:
        gate.wait()
        reply = api.call("POST", f"/api/classes/{klass['id']}/join", who)
        with lock:
            outcomes[f"{reply.status} {reply.error['code']}" if reply.status != 200 else "200"] += 1

    threads = [threading.Thread(target=join, args=(who,)) for who in people]
    started = time.perf_counter()
    with count_calls() as counter:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    elapsed = time.perf_counter() - started
    final = api.call("GET", f"/api/classes/{klass['id']}", host).body
    with_activity = sum(1 for who in people if api.call("GET", f"/api/user-activities?class_id={klass['id']}", who).body["items"])
    rows = [[outcome, n] for outcome, n in sorted(outcomes.items())]
    rows += [["class current_participants / participant_ids", f"{final['current_participants']} / {len(final['participant_ids'])}"], ["joiners holding a user activity", with_activity], ["DynamoDB calls (all 20 requests)", f"{counter.total}: {counter.describe()}"], ["wall time", f"{elapsed:.2f} s"]]
    return (
        f"## Learning platform: {joiners} concurrent joins on a class of {places}\n\n"
        f"{joiners} threads released together by a barrier, each joining through the real handler. The calls row counts "
        "successful calls only (the refused joins' cancelled transactions are not in it).\n\n"
    ) + table(["outcome", "count"], rows)


def run(env: BenchEnv) -> str:
    return calls_per_request(env) + "\n\n" + concurrent_joins(env)
