"""Calendars over HTTP: a mentor imports their exported calendars twice, and a calendar app reads
the secret feed URL without a bearer token (the route has no authorizer; `make local` honours that)."""

from __future__ import annotations

import urllib.request
import uuid

import pytest

from tests.calendar_files import current
from tests.e2e.conftest import Http
from tests.helpers import Person

pytestmark = pytest.mark.e2e
ICS = {"content-type": "text/calendar; charset=utf-8"}


def test_real_world_exports_imported_twice_give_their_activities_once(http: Http):
    mentor = Person.new(f"e2e-{uuid.uuid4().hex[:8]}", email="mentor@tests.example")
    first = [http.call("POST", "/api/calendar/import", mentor, raw=current(name), headers=ICS) for name in ("google.ics", "outlook.ics", "apple.ics")]
    assert [reply.status for reply in first] == [200, 200, 200] and sum(reply.body["counts"]["created"] for reply in first) == 15
    stored = http.call("GET", "/api/activities?limit=100", mentor).body["items"]
    again = [http.call("POST", "/api/calendar/import", mentor, raw=current(name), headers=ICS) for name in ("google.ics", "outlook.ics", "apple.ics")]
    assert [reply.body["counts"]["created"] for reply in again] == [0, 0, 0] and sum(reply.body["counts"]["existing"] for reply in again) == 15
    assert http.call("GET", "/api/activities?limit=100", mentor).body["items"] == stored and len(stored) == 15
    assert http.call("POST", "/api/calendar/import", None, raw=current("apple.ics"), headers=ICS).status == 401  # the import is not public


def test_a_calendar_app_subscribes_to_the_feed_url_without_a_token(http: Http):
    from ics import Calendar

    mentor = Person.new(f"e2e-{uuid.uuid4().hex[:8]}")
    booked = [http.call("POST", "/api/classes", mentor, {"class_type": "grupal", "max_participants": 4, "scheduled_at": f"2099-03-0{day}T10:00:00Z", "title": f"Class {day}"}).body for day in (1, 2)]
    http.call("POST", f"/api/classes/{booked[1]['id']}/cancel", mentor)
    url = http.call("POST", "/api/calendar/feed", mentor).body["url"]
    assert url.startswith(http.url + "/api/calendar/feed/") and url.endswith(".ics")
    with urllib.request.urlopen(url, timeout=30) as answer:  # exactly what a calendar app does: no Authorization header
        assert answer.status == 200 and answer.headers["content-type"].startswith("text/calendar")
        etag, text = answer.headers["etag"], answer.read().decode()
    events = {event.uid: event for event in Calendar(text).events}  # a second, independent iCalendar parser
    assert {f"class-{c['id']}@activity-tracker" for c in booked} <= set(events)
    assert events[f"class-{booked[1]['id']}@activity-tracker"].status == "CANCELLED"
    assert http.call("GET", url.removeprefix(http.url), None, headers={"If-None-Match": etag}).status == 304
    assert http.call("DELETE", "/api/calendar/feed", mentor).status == 204
    assert http.call("GET", url.removeprefix(http.url), None).status == 404
