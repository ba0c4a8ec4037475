"""Activities end to end over HTTP through the local runner (what `make local` serves)."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import ADMIN_EMAIL, Http
from tests.helpers import Person

pytestmark = pytest.mark.e2e


def test_a_mentor_day_over_http(http: Http):
    org = f"e2e-{uuid.uuid4().hex[:8]}"
    admin, mentor = Person.new(org, email=ADMIN_EMAIL), Person.new(org)
    http.call("GET", "/api/users/me", mentor)
    kari = http.call("POST", "/api/contacts", mentor, {"name": "Kari"}).body["id"]
    visit = http.call("POST", "/api/activities", mentor, {"activity_date": "2026-11-02", "activity_type": "home_visit", "contact_id": kari, "local_id": "phone-7"})
    assert visit.status == 201 and visit.body["bufdir_eligible"] is True
    assert http.call("POST", "/api/activities", mentor, {"activity_date": "2026-11-02", "activity_type": "home_visit", "contact_id": kari}).error["code"] == "duplicate_activity"
    sync = {"items": [{"activity_date": "2026-11-02", "activity_type": "home_visit", "contact_id": kari, "local_id": "phone-7"}, {"activity_date": "2026-11-01", "activity_type": "phone_call", "local_id": "phone-8"}]}
    first = http.call("POST", "/api/activities/sync", mentor, sync).body["results"]
    replay = http.call("POST", "/api/activities/sync", mentor, sync).body["results"]
    assert [r["outcome"] for r in first] == ["existing", "created"] and [r["outcome"] for r in replay] == ["existing", "existing"]
    assert first[0]["activity"]["id"] == visit.body["id"]
    colleague = Person.new(org)  # another mentor whose phone happens to use the same local_id
    taken = http.call("POST", "/api/activities", colleague, {"activity_date": "2026-11-02", "activity_type": "meeting", "local_id": "phone-7"})
    assert taken.status == 409 and taken.rules == ["local_id_unique_per_org"] and visit.body["id"] not in str(taken.body)
    assert http.call("POST", "/api/activities/sync", colleague, sync).body["results"][0]["error"]["status"] == 409
    report = http.call("POST", f"/api/activities/{visit.body['id']}/home-visit-report", mentor, {"content": "Fine, with coffee."})
    assert report.status == 201
    approved = http.call("POST", f"/api/activities/{visit.body['id']}/review", admin, {"action": "approve"})
    assert approved.body["status"] == "approved" and approved.body["has_home_visit_report"] is True
    assert http.call("PATCH", f"/api/activities/{visit.body['id']}", mentor, {"summary": "late edit"}).status == 403
    mine = http.call("GET", "/api/activities", mentor).body
    assert [a["local_id"] for a in mine["items"]] == ["phone-7", "phone-8"] and mine["next_cursor"] is None
    bulk = http.call("POST", "/api/activities/bulk", admin, {"user_ids": [mentor.sub, "ghost"], "activity": {"activity_date": "2026-11-03", "activity_type": "meeting"}})
    assert [r["outcome"] for r in bulk.body["results"]] == ["created", "rejected"]
    gone = http.call("DELETE", f"/api/activities/{bulk.body['results'][0]['activity']['id']}", mentor)
    assert gone.status == 204 and len(http.call("GET", "/api/activities", mentor).body["items"]) == 2


def test_activity_bad_input_over_http_is_4xx(http: Http):
    mentor = Person.new(f"e2e-{uuid.uuid4().hex[:8]}")
    assert http.call("POST", "/api/activities", mentor, raw=b"[]").error["code"] == "invalid_json"
    assert http.call("POST", "/api/activities", mentor, {"activity_date": "2026-11-02", "activity_type": "meeting", "duration_minutes": "30"}).rules == ["duration_positive_integer"]
    assert http.call("GET", f"/api/activities/{uuid.uuid4()}", mentor).status == 404
    assert http.call("GET", "/api/activities?cursor=e30", mentor).rules == ["cursor_invalid"]
