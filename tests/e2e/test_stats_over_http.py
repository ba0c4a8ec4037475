"""Counters move through `make local`'s stream poller within a second or two of a write."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.e2e.conftest import ADMIN_EMAIL, Http
from tests.helpers import Person

pytestmark = pytest.mark.e2e


def wait_for(check, seconds: float = 5.0):
    deadline = time.time() + seconds
    while True:
        value = check()
        if value or time.time() > deadline:
            return value
        time.sleep(0.1)


def test_statistics_follow_writes_edits_and_deletes(http: Http):
    org = f"e2e-{uuid.uuid4().hex[:8]}"
    admin, mentor = Person.new(org, email=ADMIN_EMAIL), Person.new(org)
    created = http.call("POST", "/api/activities", mentor, {"activity_date": "2026-11-02", "activity_type": "meeting", "duration_minutes": 40}).body
    november = lambda who, path="/api/stats/me?year=2026": http.call("GET", path, who).body["months"][10]  # noqa: E731
    assert wait_for(lambda: november(mentor)["activity_count"] == 1)
    assert november(mentor) == {"month": "2026-11", "activity_count": 1, "duration_minutes": 40, "by_type": {"meeting": 1}}
    http.call("PATCH", f"/api/activities/{created['id']}", mentor, {"duration_minutes": 55, "activity_type": "home_visit"})
    assert wait_for(lambda: november(mentor)["duration_minutes"] == 55)
    assert november(mentor)["by_type"] == {"home_visit": 1}
    org_month = november(admin, "/api/stats/organization?year=2026")
    assert (org_month["activity_count"], org_month["active_users"]) == (1, 1)
    http.call("DELETE", f"/api/activities/{created['id']}", mentor)
    assert wait_for(lambda: november(mentor)["activity_count"] == 0)
    assert wait_for(lambda: november(admin, "/api/stats/organization?year=2026")["active_users"] == 0)
