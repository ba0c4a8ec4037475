"""The load `make load` and `make chaos` drive with locust: a realistic day of several organizations.

Mentors (weight 9) sync batches of offline activities, create, edit, delete and list their own,
read their statistics and join classes; coordinators (weight 1; admins here, so they may review)
list what waits for review, review it, list users, read organization statistics and queue Bufdir
exports. Each request is named by its template route, so locust's figures join the runner's CPU
per route. A client does what the mobile app does on a 503 or a dropped connection: it waits
`Retry-After` and sends the same request again (an activity keeps its `local_id`).

Every acknowledged write goes to a ledger (`LOAD_LEDGER`, JSON), which `python -m tests.load`
checks against the table once the stream has drained.
"""

from __future__ import annotations

import json
import os
import random
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from locust import HttpUser, between, events, task

from local.jwt_local import mint, stable_sub
from tests.load.population import COORDINATORS_PER_ORG, ORGANIZATIONS, coordinator_email

RETRIES = 5

_lock = threading.Lock()
LEDGER: dict[str, Any] = {"activities": {}, "deleted": [], "joins": [], "exports": [], "classes": {}, "statuses": Counter(), "server_errors": []}


def record(kind: str, value: Any) -> None:
    with _lock:
        if kind == "activity":
            LEDGER["activities"][value["local_id"]] = value
        else:
            LEDGER[kind].append(value)


class Client(HttpUser):
    abstract = True
    wait_time = between(1, 4)
    email = ""
    org = ""

    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}", "content-type": "application/json"}

    def on_start(self) -> None:
        self.token = mint(stable_sub(self.email), self.email, self.org, None, 4 * 3600)
        self.me = self.call("GET", "/api/users/me", "GET /api/users/me")[1] or {}

    def call(self, method: str, path: str, name: str, body: Any = None) -> tuple[int, Any]:
        """One request as the app sends it: retried on 503 and dropped connections. Answers the
        final status and body. 4xx are answers, not failures; any other 5xx is a failure."""
        import gevent

        status, payload = 0, None
        for attempt in range(RETRIES):
            with self.client.request(method, path, name=name, json=body, headers=self.headers(), catch_response=True, timeout=60) as response:
                status = response.status_code
                with _lock:
                    LEDGER["statuses"][f"{name} {status}"] += 1
                try:
                    payload = response.json() if response.content else None
                except ValueError:
                    payload = None
                if status == 503 and response.headers.get("retry-after"):
                    response.success()  # documented: the app waits and retries
                    gevent.sleep(float(response.headers["retry-after"]) * (attempt + 1))
                    continue
                if status == 0:  # connection dropped: the app retries
                    response.success()
                    gevent.sleep(0.5 * (attempt + 1))
                    continue
                if status >= 500:
                    response.failure(f"{status}: {str(payload)[:200]}")
                    with _lock:
                        LEDGER["server_errors"].append({"request": name, "status": status, "body": str(payload)[:500]})
                else:
                    response.success()
                return status, payload
        return status, payload


def activity(local_id: str | None = None) -> dict[str, Any]:
    day = datetime.now(UTC).date() - timedelta(days=random.randint(0, 200))
    kind = random.choice(["home_visit", "phone_call", "meeting", "meeting", "home_visit", "course", "other"])
    body: dict[str, Any] = {"activity_date": day.isoformat(), "activity_type": kind, "duration_minutes": random.choice([15, 30, 45, 60, 90, 120]), "local_id": local_id or f"dev-{uuid.uuid4().hex}"}
    if random.random() < 0.3:
        body["summary"] = random.choice(["Coffee and a walk", "Helped with forms", "Talked about school", "Called to check in"])
    return body


class Mentor(Client):
    weight = 9

    def on_start(self) -> None:
        self.org = random.choice(ORGANIZATIONS)
        self.email = f"mentor-{uuid.uuid4().hex[:10]}@{self.org}.example"
        self.mine: list[dict[str, Any]] = []
        super().on_start()

    def _acknowledged(self, stored: dict[str, Any]) -> None:
        record("activity", {"id": stored["id"], "local_id": stored["local_id"], "org": self.org, "user_id": stored["user_id"]})
        self.mine.append(stored)

    @task(3)
    def sync_offline_batch(self) -> None:
        items = [activity() for _ in range(random.randint(2, 10))]
        status, body = self.call("POST", "/api/activities/sync", "POST /api/activities/sync", {"items": items})
        if status == 200:
            for result in body["results"]:
                if result["outcome"] in ("created", "existing"):
                    self._acknowledged(result["activity"])

    @task(3)
    def log_one(self) -> None:
        status, body = self.call("POST", "/api/activities", "POST /api/activities", activity())
        if status in (200, 201):
            self._acknowledged(body)

    @task(2)
    def edit_one(self) -> None:
        if not self.mine:
            return
        target = random.choice(self.mine)
        status, body = self.call("PATCH", f"/api/activities/{target['id']}", "PATCH /api/activities/{id}", {"duration_minutes": random.choice([20, 40, 75]), "version": target["version"]})
        if status == 200:
            self.mine[self.mine.index(target)] = body

    @task(1)
    def delete_one(self) -> None:
        if len(self.mine) < 5:
            return
        target = self.mine.pop(random.randrange(len(self.mine)))
        status, _ = self.call("DELETE", f"/api/activities/{target['id']}", "DELETE /api/activities/{id}")
        if status == 204:
            record("deleted", target["id"])

    @task(3)
    def list_mine(self) -> None:
        self.call("GET", "/api/activities?limit=25", "GET /api/activities")

    @task(2)
    def my_stats(self) -> None:
        self.call("GET", "/api/stats/me", "GET /api/stats/me")

    @task(1)
    def join_a_class(self) -> None:
        classes = LEDGER["classes"].get(self.org) or []
        if classes:
            class_id = random.choice(classes)
            status, _ = self.call("POST", f"/api/classes/{class_id}/join", "POST /api/classes/{id}/join")
            if status == 200:
                record("joins", {"class_id": class_id, "org": self.org, "user_id": self.me.get("id")})

    @task(1)
    def list_classes(self) -> None:
        self.call("GET", "/api/classes?limit=25", "GET /api/classes")


class Coordinator(Client):
    weight = 1
    _next = iter(range(10**9))

    def on_start(self) -> None:
        n = next(Coordinator._next)
        self.org = ORGANIZATIONS[n % len(ORGANIZATIONS)]
        self.email = coordinator_email(self.org, (n // len(ORGANIZATIONS)) % COORDINATORS_PER_ORG)
        super().on_start()
        with _lock:
            first = self.org not in LEDGER["classes"]
            LEDGER["classes"].setdefault(self.org, [])
        if first:  # one coordinator per organization books the classes mentors join
            for n in range(3):
                when = (datetime.now(UTC) + timedelta(days=7 + n)).strftime("%Y-%m-%dT%H:%M:%SZ")
                status, klass = self.call("POST", "/api/classes", "POST /api/classes", {"class_type": "grupal", "max_participants": 8, "scheduled_at": when, "title": f"Class {n}"})
                if status == 201:
                    with _lock:
                        LEDGER["classes"][self.org].append(klass["id"])

    @task(4)
    def review_waiting(self) -> None:
        status, body = self.call("GET", "/api/activities?status=under_review&limit=25", "GET /api/activities")
        if status != 200 or not body["items"]:
            return
        for item in random.sample(body["items"], min(3, len(body["items"]))):
            action = random.choice(["approve", "approve", "approve", "flag"])
            review = {"action": action, **({"reason": "Please add a summary"} if action == "flag" else {})}
            self.call("POST", f"/api/activities/{item['id']}/review", "POST /api/activities/{id}/review", review)

    @task(1)
    def list_users(self) -> None:
        self.call("GET", "/api/users?limit=25", "GET /api/users")

    @task(1)
    def organization_stats(self) -> None:
        self.call("GET", "/api/stats/organization", "GET /api/stats/organization")

    @task(1)
    def export_last_month(self) -> None:
        today = datetime.now(UTC).date()
        start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        status, body = self.call("POST", "/api/exports/bufdir", "POST /api/exports/bufdir", {"period_start": start.isoformat(), "period_end": today.isoformat(), "format": "csv"})
        if status == 202:
            record("exports", {"id": body["id"], "org": self.org, "email": self.email})
            self.call("GET", f"/api/exports/{body['id']}", "GET /api/exports/{id}")


@events.quitting.add_listener
def write_ledger(environment: Any, **_: Any) -> None:
    path = os.environ.get("LOAD_LEDGER")
    if path:
        with _lock, open(path, "w") as out:
            json.dump({**LEDGER, "statuses": dict(LEDGER["statuses"]), "organizations": ORGANIZATIONS}, out)
