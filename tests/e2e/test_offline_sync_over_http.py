"""Offline-first clients over HTTP: retried POSTs, pull and push (what a phone on a bad network does)."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.e2e.conftest import ADMIN_EMAIL, Http
from tests.helpers import Person

pytestmark = pytest.mark.e2e


def test_a_post_retried_with_its_idempotency_key_is_done_once(http: Http):
    mentor = Person.new(f"e2e-{uuid.uuid4().hex[:8]}")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = http.call("POST", "/api/contacts", mentor, {"name": "Kari"}, headers=key)
    again = http.call("POST", "/api/contacts", mentor, {"name": "Kari"}, headers=key)
    assert first.status == again.status == 201 and again.body == first.body and again.headers["idempotent-replayed"] == "true"
    assert http.call("POST", "/api/contacts", mentor, {"name": "Ola"}, headers=key).error["code"] == "idempotency_key_reused"
    assert [c["name"] for c in http.call("GET", "/api/contacts", mentor).body["items"]] == ["Kari"]


def test_a_device_pulls_its_records_and_then_only_what_changed(http: Http):
    mentor = Person.new(f"e2e-{uuid.uuid4().hex[:8]}")
    made = http.call("POST", "/api/activities", mentor, {"activity_date": "2026-11-02", "activity_type": "meeting", "local_id": "wm-1"}).body
    first = http.call("GET", "/api/sync/pull?last_pulled_at=0&schema_version=1", mentor).body
    assert [(r["id"], r["server_id"]) for r in first["changes"]["activities"]["created"]] == [("wm-1", made["id"])] and first["has_more"] is False
    assert http.call("DELETE", f"/api/activities/{made['id']}", mentor).status == 204
    later = http.call("GET", f"/api/sync/pull?last_pulled_at={first['timestamp']}&schema_version=1", mentor).body
    assert later["changes"]["activities"]["deleted"] == ["wm-1"] and later["timestamp"] >= first["timestamp"]


def test_every_mutable_resource_answers_an_etag_and_refuses_a_stale_if_match(http: Http):
    org = f"e2e-{uuid.uuid4().hex[:8]}"
    admin, mentor = Person.new(org, email=ADMIN_EMAIL), Person.new(org)
    contact = http.call("POST", "/api/contacts", mentor, {"name": "Kari"})
    resources = [
        (mentor, f"/api/contacts/{contact.body['id']}", "PATCH", {"notes": "mornings"}),
        (mentor, "/api/users/me", "PATCH", {"name": "Mentor"}),
        (admin, "/api/organization", "PATCH", {"name": "Org"}),
    ]
    for who, path, method, body in resources:
        tag = http.call("GET", path, who).headers["etag"]
        assert http.call(method, path, who, body, headers={"If-Match": tag}).status == 200
        stale = http.call(method, path, who, body, headers={"If-Match": tag})
        assert stale.status == 412 and stale.error["code"] == "precondition_failed", path
    booked = http.call("POST", "/api/classes", mentor, {"class_type": "grupal", "max_participants": 3, "scheduled_at": "2030-01-01T10:00:00Z"})
    assert http.call("POST", f"/api/classes/{booked.body['id']}/confirm", mentor, headers={"If-Match": '"v7"'}).status == 412
    assert http.call("POST", f"/api/classes/{booked.body['id']}/confirm", mentor, headers={"If-Match": booked.headers["etag"]}).status == 200
    tag = http.call("GET", f"/api/contacts/{contact.body['id']}", mentor).headers["etag"]
    assert http.call("DELETE", f"/api/contacts/{contact.body['id']}", mentor, headers={"If-Match": tag}).status == 204
    assert http.call("GET", "/api/contacts", mentor).body["items"] == []
    an_hour_ago = int((time.time() - 3600) * 1000)
    pulled = http.call("GET", f"/api/sync/pull?last_pulled_at={an_hour_ago}&schema_version=1", mentor).body
    assert pulled["changes"]["contacts"]["deleted"] == [contact.body["id"]]
