"""Privacy end to end through `make local`: a person's data export downloaded from its link, their
erasure (statistics and a Bufdir export of the past period unchanged, sign-in closed), and the
retention schedule run with `python -m local invoke` (`make retention`)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import urllib.request
import uuid

import pytest

from tests.e2e.conftest import ADMIN_EMAIL, ROOT, Http
from tests.e2e.test_stats_over_http import wait_for
from tests.helpers import Person

pytestmark = pytest.mark.e2e
NOVEMBER = {"period_start": "2026-11-01", "period_end": "2026-11-30", "format": "json"}


def finished(http: Http, path: str, who: Person) -> dict:
    return wait_for(lambda: (lambda body: body if body["status"] in ("done", "failed") else None)(http.call("GET", path, who).body), seconds=30)


def drained(http: Http) -> bool:
    with urllib.request.urlopen(http.url + "/_local/stream", timeout=10) as response:
        return bool(json.loads(response.read()).get("drained"))


def figures(http: Http, admin: Person) -> dict:
    assert wait_for(lambda: drained(http), seconds=30)
    queued = http.call("POST", "/api/exports/bufdir", admin, NOVEMBER)
    assert queued.status == 202, queued.body
    export = finished(http, f"/api/exports/{queued.body['id']}", admin)
    return {"stats": http.call("GET", "/api/stats/organization?year=2026", admin).body, "summary": export["summary"], "row_count": export["row_count"]}


def test_a_person_gets_their_data_and_is_erased_without_moving_a_figure(http: Http):
    org, tag = f"e2e-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex[:6]
    admin, mentor = Person.new(org, email=ADMIN_EMAIL), Person.new(org)
    name = f"Kari Nordmann {tag}"
    assert http.call("PATCH", "/api/users/me", mentor, {"name": name, "telefono": "+47 12 34 56 78"}).status == 200
    contact = http.call("POST", "/api/contacts", mentor, {"name": f"Ola {tag}", "notes": "neighbour"}).body["id"]
    ids = []
    for day in range(2, 6):
        created = http.call("POST", "/api/activities", mentor, {"activity_date": f"2026-11-{day:02d}", "activity_type": "home_visit", "duration_minutes": 60, "summary": f"{name} visit {day}", "contact_id": contact}).body
        http.call("POST", f"/api/activities/{created['id']}/review", admin, {"action": "approve"})
        ids.append(created["id"])
    http.call("POST", f"/api/activities/{ids[0]}/home-visit-report", mentor, {"content": f"{name} reports"})

    asked = http.call("POST", "/api/users/me/data-export", mentor)
    assert asked.status == 202
    export = finished(http, f"/api/data-exports/{asked.body['id']}", mentor)
    assert export["status"] == "done" and http.call("GET", f"/api/data-exports/{asked.body['id']}", Person.new(org)).status == 403
    with urllib.request.urlopen(export["url"], timeout=10) as response:
        document = json.loads(response.read())
    assert document["profile"]["name"] == name and sorted(a["id"] for a in document["activities"]) == sorted(ids)
    assert [c["id"] for c in document["contacts_created"]] == [contact]

    before = figures(http, admin)
    erasure = http.call("POST", f"/api/users/{mentor.sub}/erase", admin)
    assert erasure.status == 202
    done = finished(http, f"/api/erasures/{erasure.body['id']}", admin)
    assert done["status"] == "done" and done["counts"]["activities"] == 4 and done["counts"]["reports"] == 1
    assert http.call("GET", "/api/users/me", mentor).status == 403
    assert figures(http, admin) == before
    listed = http.call("GET", f"/api/activities?user_id={mentor.sub}", admin).body["items"]
    assert sorted(a["id"] for a in listed) == sorted(ids) and all(a["summary"] is None for a in listed)
    users = http.call("GET", "/api/users?limit=100", admin).body["items"]
    assert name not in json.dumps(users) and mentor.email not in json.dumps(users)
    assert http.call("GET", f"/api/data-exports/{asked.body['id']}", admin).body["status"] == "expired"


def test_the_retention_schedule_runs_with_a_command(http: Http):
    org = f"e2e-{uuid.uuid4().hex[:8]}"
    admin = Person.new(org, email=ADMIN_EMAIL)
    today = dt.date.today()
    old = http.call("POST", "/api/activities", admin, {"activity_date": today.replace(year=today.year - 4).isoformat(), "activity_type": "meeting", "summary": "long ago"}).body
    recent = http.call("POST", "/api/activities", admin, {"activity_date": today.replace(year=today.year - 1).isoformat(), "activity_type": "meeting", "summary": "last year"}).body
    assert http.call("PATCH", "/api/organization", admin, {"retention": {"free_text_years": 3}}).body["retention"] == {"free_text_years": 3}
    env = {**os.environ, "LOCAL_STATE_FILE": str(http.state), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "local", "invoke", "RetentionScheduleFunction"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout)["runs"][org] == "done"
    assert http.call("GET", f"/api/activities/{old['id']}", admin).body["summary"] is None
    assert http.call("GET", f"/api/activities/{recent['id']}", admin).body["summary"] == "last year"
