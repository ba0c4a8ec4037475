"""The learning platform end to end over HTTP, total_classes kept by the stream poller."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.e2e.conftest import ADMIN_EMAIL, Http
from tests.e2e.test_stats_over_http import wait_for
from tests.helpers import Person

pytestmark = pytest.mark.e2e


def test_book_join_complete_and_count_classes(http: Http):
    org = f"e2e-{uuid.uuid4().hex[:8]}"
    admin, host, learner = Person.new(org, email=ADMIN_EMAIL), Person.new(org), Person.new(org)
    when = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    klass = http.call("POST", "/api/classes", host, {"class_type": "individual", "scheduled_at": when, "title": "One to one"})
    assert klass.status == 201 and klass.body["max_participants"] == 1
    assert http.call("POST", f"/api/classes/{klass.body['id']}/join", learner).status == 200
    latecomer = Person.new(org)
    assert http.call("POST", f"/api/classes/{klass.body['id']}/join", latecomer).error["code"] == "class_full"
    task = http.call("POST", "/api/tasks", admin, {"title": "Alphabet", "type": "reading", "difficulty": "easy"}).body
    assert http.call("POST", f"/api/classes/{klass.body['id']}/tasks", host, {"task_id": task["id"]}).status == 200
    assert http.call("POST", f"/api/classes/{klass.body['id']}/complete", admin).body["status"] == "completed"
    assert wait_for(lambda: http.call("GET", "/api/users/me", learner).body["total_classes"] == 1)
    assert wait_for(lambda: http.call("GET", "/api/users/me", host).body["total_classes"] == 1)
    ua = http.call("GET", "/api/user-activities?role=participante", learner).body["items"][0]
    assert (ua["completed"], ua["task_id"]) == (True, task["id"])
    http.call("POST", f"/api/user-activities/{ua['id']}/complete", learner)
    assert http.call("GET", "/api/stats/me", learner).body["total_classes"] == 1
    users = http.call("GET", "/api/users", admin).body["items"]
    assert {u["id"] for u in users} == {admin.sub, host.sub, learner.sub, latecomer.sub}


def test_users_administration_over_http(http: Http):
    org = f"e2e-{uuid.uuid4().hex[:8]}"
    admin, member = Person.new(org, email=ADMIN_EMAIL), Person.new(org)
    assert http.call("GET", "/api/users/me", member).status == 200
    assert http.call("GET", "/api/users", member).status == 403
    assert http.call("PATCH", f"/api/users/{admin.sub}", member, {"role": "member"}).status == 403
    assert {u["id"] for u in http.call("GET", "/api/users", admin).body["items"]} == {admin.sub, member.sub}
    assert http.call("PATCH", f"/api/users/{member.sub}", admin, {"role": "moderator"}).body["role"] == "moderator"
    assert http.call("GET", "/api/users/me", member).body["role"] == "moderator"
    own = http.call("PATCH", f"/api/users/{admin.sub}", admin, {"role": "member"})
    assert (own.status, own.rules) == (403, ["admin_cannot_demote_self"])
    assert http.call("PATCH", f"/api/users/{admin.sub}", admin, {"active": False}).status == 403
    assert http.call("PATCH", f"/api/users/{member.sub}", admin, {"active": False}).body["active"] is False
    assert http.call("GET", "/api/users/me", member).status == 403
    assert http.call("PATCH", f"/api/users/{member.sub}", Person.new(org + "-b", email=ADMIN_EMAIL), {"active": True}).status == 404


def test_tasks_and_class_lifecycle_over_http(http: Http):
    org = f"e2e-{uuid.uuid4().hex[:8]}"
    admin, host, learner = Person.new(org, email=ADMIN_EMAIL), Person.new(org), Person.new(org)
    http.call("GET", "/api/users/me", admin)
    for kind, level in [("reading", "easy"), ("audio", "hard"), ("reading", "hard")]:
        assert http.call("POST", "/api/tasks", admin, {"title": f"{kind} {level}", "type": kind, "difficulty": level}).status == 201
    assert http.call("POST", "/api/tasks", host, {"title": "x", "type": "reading", "difficulty": "easy"}).status == 403
    assert http.call("POST", "/api/tasks", admin, {"title": "x", "type": "podcast", "difficulty": "easy"}).rules == ["must_be_one_of"]
    assert [t["title"] for t in http.call("GET", "/api/tasks?type=reading&difficulty=hard", learner).body["items"]] == ["reading hard"]
    when = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    klass = http.call("POST", "/api/classes", host, {"class_type": "grupal", "max_participants": 3, "scheduled_at": when}).body
    assert klass["status"] == "pending" and klass["host_id"] == host.sub
    assert [ua["role"] for ua in http.call("GET", "/api/user-activities", host).body["items"]] == ["anfitrion"]
    assert http.call("POST", f"/api/classes/{klass['id']}/confirm", host).body["status"] == "scheduled"
    joined = http.call("POST", f"/api/classes/{klass['id']}/join", learner).body
    assert (joined["current_participants"], joined["participant_ids"]) == (1, [learner.sub])
    assert http.call("POST", f"/api/classes/{klass['id']}/join", learner).error["code"] == "conflict"
    (ua,) = http.call("GET", f"/api/user-activities?class_id={klass['id']}", learner).body["items"]
    assert ua["role"] == "participante"
    early = http.call("POST", f"/api/user-activities/{ua['id']}/complete", learner)  # tomorrow's class has not taken place
    assert (early.status, early.error["code"], early.rules) == (409, "invalid_transition", ["class_took_place"])
    assert http.call("POST", f"/api/classes/{klass['id']}/cancel", host).body["status"] == "cancelled"
    assert http.call("POST", f"/api/user-activities/{ua['id']}/complete", learner).error["code"] == "invalid_transition"
    assert http.call("GET", "/api/users/me", learner).body["total_classes"] == 0
    assert http.call("POST", f"/api/classes/{klass['id']}/join", Person.new(org)).error["code"] == "invalid_transition"
    assert http.call("POST", f"/api/classes/{klass['id']}/confirm", host).error["code"] == "invalid_transition"
