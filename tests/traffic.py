"""The request kinds of the scale model's traffic profile (scale/profile.py), as requests through the
real handlers: `make bench capacity` measures each kind with them (tests/bench/capacity.py), and
tests/handlers/test_scale_model.py plays a small day of them to check the model's prediction."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.helpers import Api, Person, make_user

Request = tuple[str, str, Person, Any]


class Drain:
    """The stream records of one organization not yet delivered, for one function's filters."""

    def __init__(self, api: Api, org: str, function_id: str):
        self.api, self.org, self.function_id = api, org, function_id
        self.seen: set[str] = set()

    def take(self) -> list[dict[str, Any]]:
        from tests.stream_helpers import recorded

        fresh = [r for r in recorded(self.api.stack, self.org, self.function_id) if r["eventID"] not in self.seen]
        self.seen.update(r["eventID"] for r in fresh)
        return fresh

    def deliver(self, records: list[dict[str, Any]] | None = None, batch_size: int = 100) -> tuple[int, float]:
        """Delivers `records` (else what is pending) in batches; (records, CPU seconds of the consumer's thread)."""
        from tests.stream_helpers import consume

        records, cpu = (self.take() if records is None else records), 0.0
        for start in range(0, len(records), batch_size):
            began = time.thread_time()
            answer = consume(self.api, records[start : start + batch_size], self.function_id)
            cpu += time.thread_time() - began
            assert not (answer or {}).get("batchItemFailures"), answer
        return len(records), cpu


class Traffic:
    """One organization of mentors (each with a contact) and a coordinator; `request(kind)` builds
    the next request of a kind, `answered(kind, body)` keeps what later kinds need (activities
    waiting for review, classes to join)."""

    def __init__(self, api: Api, org: str, mentors: int):
        self.api, self.org = api, org
        self.coordinator = make_user(api, org, "coordinator")
        self.mentors = [make_user(api, org) for _ in range(mentors)]
        self.contacts = [api.call("POST", "/api/contacts", m, {"name": f"Contact {n}"}).body["id"] for n, m in enumerate(self.mentors)]
        self.pending: list[dict[str, Any]] = []  # activities written by the requests, waiting for review
        self.classes: list[tuple[str, str]] = []  # (class id, host)
        self.since = 0
        self.today = datetime.now(UTC).date()
        self._n: dict[str, int] = {}
        self._joins = 0

    def history(self, per_mentor: int) -> list[dict[str, Any]]:
        """`per_mentor` older activities of each mentor with their contact, two weeks apart (every
        month of the last year holds some), half of them approved: the steady state the kinds are
        measured in (lists and the review queue read full pages, statistics read twelve months,
        the export has approved activities to read)."""
        created = []
        for n, mentor in enumerate(self.mentors):
            for day in range(per_mentor):
                body = {"activity_date": (self.today - timedelta(days=14 * day + 1)).isoformat(), "activity_type": "meeting", "contact_id": self.contacts[n], "duration_minutes": 45}
                created.append(self.api.call("POST", "/api/activities", mentor, body).body)
        for item in created[: len(created) // 2]:
            assert self.api.call("POST", f"/api/activities/{item['id']}/review", self.coordinator, {"action": "approve"}).status == 200
        return created

    def _mentor(self, n: int) -> Person:
        return self.mentors[n % len(self.mentors)]

    def _activity(self, n: int) -> dict[str, Any]:
        day = self.today - timedelta(days=100 + n)  # a day of its own: never a hard duplicate
        return {"activity_date": day.isoformat(), "activity_type": "home_visit", "duration_minutes": 60, "contact_id": self.contacts[n % len(self.contacts)], "summary": "Coffee and a walk"}

    def request(self, kind: str) -> Request:
        n = self._n[kind] = self._n.get(kind, -1) + 1
        mentor = self._mentor(n)
        if kind == "users_me":
            return ("GET", "/api/users/me", mentor, None)
        if kind == "profile_patch":
            return ("PATCH", "/api/users/me", mentor, {"name": f"Mentor {n}"})
        if kind == "contact_create":
            return ("POST", "/api/contacts", mentor, {"name": f"Contact {n}"})
        if kind == "progress_upsert":
            return ("POST", "/api/user_progress", mentor, {"data": {"progress_type": "sign_learned", "item_id": f"sign-{n}", "score": 1}})
        if kind == "activity_create":
            return ("POST", "/api/activities", mentor, self._activity(2 * n))
        if kind == "activity_sync_batch":  # five offline activities without a contact, each with its device's local_id
            items = [{**{k: v for k, v in self._activity(10 * n + 2 * k + 1).items() if k != "contact_id"}, "local_id": f"dev-{uuid.uuid4().hex}"} for k in range(5)]
            return ("POST", "/api/activities/sync", mentor, {"items": items})
        if kind == "sync_pull":  # incremental: the device pulled just before the first of these
            if n == 0:
                self.since = int(time.time() * 1000)
            return ("GET", f"/api/sync/pull?last_pulled_at={self.since}&schema_version=1", mentor, None)
        if kind == "activity_list":
            return ("GET", "/api/activities?limit=25", mentor, None)
        if kind == "stats_me":
            return ("GET", "/api/stats/me", mentor, None)
        if kind == "activity_patch":
            item = self.pending[n % len(self.pending)]
            owner = next(m for m in self.mentors if m.sub == item["user_id"])
            return ("PATCH", f"/api/activities/{item['id']}", owner, {"duration_minutes": 30 + n % 60, "version": item["version"]})
        if kind == "coordinator_queue":
            return ("GET", "/api/activities?status=under_review&limit=25", self.coordinator, None)
        if kind == "activity_review":
            return ("POST", f"/api/activities/{self.pending.pop()['id']}/review", self.coordinator, {"action": "approve"})
        if kind == "stats_organization":
            return ("GET", "/api/stats/organization", self.coordinator, None)
        if kind == "class_create":
            when = (datetime.now(UTC) + timedelta(days=7, hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
            return ("POST", "/api/classes", mentor, {"class_type": "grupal", "max_participants": 8, "scheduled_at": when, "title": f"Class {n}"})
        if kind == "class_join":  # seven of each class's eight places (with eight mentors or more)
            j, self._joins = self._joins, self._joins + 1
            class_id, host = self.classes[j // 7]
            return ("POST", f"/api/classes/{class_id}/join", [m for m in self.mentors if m.sub != host][j % 7], None)
        raise ValueError(kind)

    def answered(self, kind: str, body: Any) -> None:
        if kind == "activity_create":
            self.pending.append(body)
        elif kind == "activity_sync_batch":
            self.pending.extend(r["activity"] for r in body["results"] if r["outcome"] == "created")
        elif kind == "activity_patch":
            self.pending = [body if item["id"] == body["id"] else item for item in self.pending]
        elif kind == "class_create":
            self.classes.append((body["id"], body["host_id"]))

    def send(self, kind: str) -> Any:
        """The next request of `kind`, answered; its body."""
        method, path, who, body = self.request(kind)
        reply = self.api.call(method, path, who, body)
        assert reply.status < 300, (kind, reply.status, reply.body)
        self.answered(kind, reply.body)
        return reply.body

    def route(self, kind: str) -> tuple[str, str]:
        """(`METHOD /path/{param}` as template.yaml names it, the function's logical id) of a kind."""
        method, path = ROUTES[kind].split(" ", 1)
        route, function, _ = self.api.stack.match(method, path)  # type: ignore[misc]
        return f"{method} {route.path}", function.logical_id


ROUTES = {  # a path of each kind's route
    "users_me": "GET /api/users/me", "profile_patch": "PATCH /api/users/me", "contact_create": "POST /api/contacts",
    "progress_upsert": "POST /api/user_progress", "activity_create": "POST /api/activities", "activity_sync_batch": "POST /api/activities/sync",
    "sync_pull": "GET /api/sync/pull", "activity_list": "GET /api/activities", "stats_me": "GET /api/stats/me",
    "activity_patch": "PATCH /api/activities/x", "coordinator_queue": "GET /api/activities", "activity_review": "POST /api/activities/x/review",
    "stats_organization": "GET /api/stats/organization", "class_create": "POST /api/classes", "class_join": "POST /api/classes/x/join",
}  # fmt: skip
