"""The audit trail end to end: a scripted day over HTTP against `make local` (its stream poller
feeds the consumer, which writes the trail), and the trail read back through GET /api/audit and
GET /api/activities/{id}/history matches the day exactly."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.e2e.conftest import ADMIN_EMAIL, Http
from tests.e2e.test_stats_over_http import wait_for
from tests.helpers import Person

pytestmark = pytest.mark.e2e

SUMMARY = "Kari (912 34 567) talked about her late husband"


def _trail(http: Http, admin: Person) -> list[dict]:
    items, cursor = [], None
    while True:
        page = http.call("GET", "/api/audit?limit=5" + (f"&cursor={cursor}" if cursor else ""), admin)
        assert page.status == 200, page.body
        items += page.body["items"]
        if not (cursor := page.body["next_cursor"]):
            return items


def test_the_audit_trail_of_a_scripted_day_matches_the_day(http: Http):
    org = f"e2e-{uuid.uuid4().hex[:8]}"
    admin, coordinator, mentor = Person.new(org, email=ADMIN_EMAIL), Person.new(org), Person.new(org)
    for who in (admin, coordinator, mentor):  # first sign-ins: the admin's creates the organization too
        assert http.call("GET", "/api/users/me", who).status == 200
    assert http.call("PATCH", f"/api/users/{coordinator.sub}", admin, {"role": "coordinator"}).status == 200
    contact = http.call("POST", "/api/contacts", mentor, {"name": "Kari Nordmann", "notes": SUMMARY}).body["id"]
    visit = http.call("POST", "/api/activities", mentor, {"activity_date": "2026-11-02", "activity_type": "home_visit", "summary": SUMMARY, "contact_id": contact}).body["id"]
    assert http.call("PATCH", f"/api/activities/{visit}", mentor, {"duration_minutes": 45}).status == 200
    assert http.call("POST", f"/api/activities/{visit}/review", coordinator, {"action": "approve"}).status == 200
    assert http.call("DELETE", f"/api/activities/{visit}", coordinator).status == 204
    assert http.call("PATCH", "/api/users/me", mentor, {"name": "Mona Mentor", "telefono": "912 34 567", "nivel": "basico"}).status == 200
    assert http.call("PATCH", "/api/organization", admin, {"activity_type_categories": {"phone_call": "outreach"}}).status == 200
    export = http.call("POST", "/api/exports/bufdir", admin, {"period_start": "2026-11-01", "period_end": "2026-11-30"}).body["id"]
    # followed through the list, which hands out no link: only the one GET below is a download
    assert wait_for(lambda: [e for e in http.call("GET", "/api/exports", admin).body["items"] if e["id"] == export and e["status"] == "done"], 30)
    assert http.call("GET", f"/api/exports/{export}", admin).body["url"]

    day = sorted([
        (admin.sub, "user", admin.sub, "created"), (admin.sub, "organization", org, "created"),
        (coordinator.sub, "user", coordinator.sub, "created"), (mentor.sub, "user", mentor.sub, "created"),
        (admin.sub, "user", coordinator.sub, "updated"), (mentor.sub, "contact", contact, "created"),
        (mentor.sub, "activity", visit, "created"), (mentor.sub, "activity", visit, "updated"),
        (coordinator.sub, "activity", visit, "reviewed"), (coordinator.sub, "activity", visit, "deleted"),
        (mentor.sub, "user", mentor.sub, "updated"), (admin.sub, "organization", org, "updated"),
        (admin.sub, "export", export, "downloaded"),
    ])  # fmt: skip
    trail = wait_for(lambda: (lambda t: t if len(t) >= len(day) else None)(_trail(http, admin)), 30)
    assert trail, "the stream consumer did not write the day's trail"
    assert sorted((e["actor"], e["entity"], e["entity_id"], e["action"]) for e in trail) == day
    assert [e["at"] for e in trail] == sorted(e["at"] for e in trail)  # oldest first
    activity = [e for e in trail if e["entity"] == "activity"]
    assert [(e["action"], e["version"]) for e in activity] == [("created", 1), ("updated", 2), ("reviewed", 3), ("deleted", 4)]
    changed = {e["action"]: {c["field"]: (c["old"], c["new"]) for c in e["changes"]} for e in activity}
    assert changed["updated"] == {"duration_minutes": (30, 45)}
    assert changed["reviewed"]["status"] == ("under_review", "approved") and changed["reviewed"]["reviewed_by_user_id"] == (None, coordinator.sub)
    assert changed["created"]["summary"] == (None, "[redacted]") and changed["deleted"]["deleted_at"][0] is None
    profile = next(e for e in trail if e["entity"] == "user" and e["actor"] == mentor.sub and e["action"] == "updated")
    assert {c["field"]: (c["old"], c["new"]) for c in profile["changes"]} == {"name": (None, "[redacted]"), "telefono": (None, "[redacted]"), "nivel": ("inicial", "basico")}
    settings = next(e for e in trail if e["entity"] == "organization" and e["action"] == "updated")
    assert settings["changes"][0]["field"] == "activity_type_categories" and settings["changes"][0]["new"]["phone_call"] == "outreach"
    text = json.dumps(trail)
    for personal in ("Kari", "912 34 567", "Mona", mentor.email, coordinator.email):
        assert personal not in text
    history = http.call("GET", f"/api/activities/{visit}/history?include_deleted=true", coordinator).body
    assert history == {"items": activity, "next_cursor": None}
    assert http.call("GET", f"/api/activities/{visit}/history", mentor).status == 404  # deleted: as GET /api/activities/{id}
    assert http.call("GET", "/api/audit", mentor).status == 403
