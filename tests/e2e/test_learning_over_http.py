"""The learning platform end to end over HTTP, total_classes kept by the stream poller."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.e2e.conftest import Http, admin_email
from tests.e2e.test_stats_over_http import wait_for
from tests.helpers import Person

pytestmark = pytest.mark.e2e


def test_book_join_complete_and_count_classes(http: Http):
    org = f"e2e-{uuid.uuid4().hex[:8]}"
    admin, host, learner = Person.new(org, email=admin_email()), Person.new(org), Person.new(org)
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
