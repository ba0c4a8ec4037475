"""Calendars: importing .ics files as activities, and the secret feed (API.md, Calendars)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.calendar_files import current, fixture, moved, weeks_to_now
from tests.helpers import Api, Person, make_user, record_aws_calls
from tests.stream_helpers import consume, recorded

ICS = {"content-type": "text/calendar"}
MAPPING = {"Hjemmebesøk": "home_visit", "telefon": "phone_call", "gruppe": "group_activity"}


@pytest.fixture
def mentor(api: Api, org_id: str) -> Person:
    return make_user(api, org_id, email="mentor@tests.example")


def imported(api: Api, who: Person, data: bytes, query: str = "", headers: dict[str, str] | None = None) -> Any:
    return api.call("POST", f"/api/calendar/import{query}", who, raw=data, headers=headers or ICS)


def activities_of(api: Api, who: Person) -> list[dict[str, Any]]:
    return api.call("GET", "/api/activities?limit=100", who).body["items"]


def outcomes(reply: Any) -> list[tuple[str | None, str, str | None]]:
    return [(r["summary"], r["outcome"], r["rule"]) for r in reply.body["results"]]


def table_items(org_id: str) -> list[dict[str, Any]]:
    import boto3

    from activity_tracker.settings import get_settings

    client = boto3.client("dynamodb")
    found, start = [], None
    while True:
        page = client.scan(TableName=get_settings().table_name, **({"ExclusiveStartKey": start} if start else {}))
        found += [item for item in page["Items"] if org_id in item["pk"]["S"] and "IDEM" not in item["pk"]["S"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


# ---------------------------------------------------------------- import
def test_importing_google_outlook_and_apple_exports_twice_gives_their_activities_once(api: Api, org_id: str, mentor: Person):
    admin = make_user(api, org_id, "admin")
    assert api.call("PATCH", "/api/organization", admin, {"calendar_activity_types": MAPPING}).body["calendar_activity_types"] == MAPPING
    first = {name: imported(api, mentor, current(name)) for name in ("google.ics", "outlook.ics", "apple.ics")}
    assert {name: reply.body["counts"]["created"] for name, reply in first.items()} == {"google.ics": 5, "outlook.ics": 5, "apple.ics": 5}
    assert outcomes(first["google.ics"]) == [
        ("Besøk hos Kari", "created", None), ("Besøk hos Kari (flyttet)", "created", None),
        ("Besøk hos Kari", "skipped", "calendar_event_cancelled"), ("Besøk hos Kari", "created", None),
        ("Telefon med Ola", "created", None), ("Styremøte", "skipped", "calendar_event_declined"),
        ("Besøk neste måned", "skipped", "activity_date_not_in_future"), ("Kurs for mentorer", "created", None),
        ("Samling på Hamar", "skipped", "calendar_event_longer_than_a_day"), ("Avlyst møte", "skipped", "calendar_event_cancelled"),
    ]  # fmt: skip
    stored = activities_of(api, mentor)
    assert len(stored) == 15 and all(a["calendar_event_uid"] and a["status"] == "under_review" and a["user_id"] == mentor.sub for a in stored)
    types = {a["summary"]: a["activity_type"] for a in stored}
    assert types["Telefon med Ola"] == "phone_call" and types["Hos familien Hansen"] == "home_visit" and types["Samtale med Per"] == "meeting"
    group = next(a for a in stored if a["summary"] == "Gruppemøte i parken")
    assert group["activity_type"] == "group_activity" and group["is_group_activity"] and group["participant_count"] == 3
    all_day = next(a for a in stored if a["summary"] == "Kurs for mentorer")
    assert all_day["duration_minutes"] == 30 and all_day["activity_date"].endswith("T23:00:00.000Z")  # the organization's midnight (Oslo, winter)

    again = {name: imported(api, mentor, current(name)) for name in ("google.ics", "outlook.ics", "apple.ics")}
    for name, reply in again.items():
        assert reply.body["counts"]["created"] == 0 and reply.body["counts"]["existing"] == first[name].body["counts"]["created"], name
        made = {(r["uid"], r["recurrence_id"]): r["activity_id"] for r in first[name].body["results"] if r["outcome"] == "created"}
        assert made == {(r["uid"], r["recurrence_id"]): r["activity_id"] for r in reply.body["results"] if r["outcome"] == "existing"}
    assert len(activities_of(api, mentor)) == 15


def test_a_dry_run_answers_what_an_import_would_do_and_writes_nothing(api: Api, org_id: str, mentor: Person):
    before = table_items(org_id)
    preview = imported(api, mentor, current("google.ics"), "?dry_run=true")
    assert preview.status == 200 and preview.body["dry_run"] is True and preview.body["counts"]["created"] == 5
    assert all(r["activity_id"] is None for r in preview.body["results"])
    assert table_items(org_id) == before
    done = imported(api, mentor, current("google.ics"))
    assert [(r["summary"], r["outcome"]) for r in done.body["results"]] == [(r["summary"], r["outcome"]) for r in preview.body["results"]]


def _google_changed(*changes: tuple[str, str]) -> bytes:
    text = fixture("google.ics").decode()
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    return moved(text, weeks_to_now()).encode()


MOVED = ("DTSTART;TZID=Europe/Oslo:20261116T120000\nDTEND;TZID=Europe/Oslo:20261116T133000", "DTSTART;TZID=Europe/Oslo:20261116T130000\nDTEND;TZID=Europe/Oslo:20261116T150000")
LENGTHENED = ("DTSTART:20261120T130000Z\nDTEND:20261120T133000Z", "DTSTART:20261120T130000Z\nDTEND:20261120T140000Z")


def test_an_event_moved_or_lengthened_since_updates_its_activity_while_under_review_and_never_an_approved_one(api: Api, org_id: str, mentor: Person):
    coordinator = make_user(api, org_id, "coordinator")
    first = {r["summary"]: r for r in imported(api, mentor, current("google.ics")).body["results"] if r["outcome"] == "created"}
    moved_id, call_id = first["Besøk hos Kari (flyttet)"]["activity_id"], first["Telefon med Ola"]["activity_id"]
    assert api.call("POST", f"/api/activities/{call_id}/review", coordinator, {"action": "approve"}).status == 200
    approved = api.call("GET", f"/api/activities/{call_id}", mentor).body

    again = imported(api, mentor, _google_changed(MOVED, LENGTHENED))
    by_summary = {r["summary"]: r for r in again.body["results"]}
    assert (by_summary["Besøk hos Kari (flyttet)"]["outcome"], by_summary["Besøk hos Kari (flyttet)"]["activity_id"]) == ("updated", moved_id)
    assert (by_summary["Telefon med Ola"]["outcome"], by_summary["Telefon med Ola"]["rule"]) == ("skipped", "calendar_update_requires_under_review")
    activity = api.call("GET", f"/api/activities/{moved_id}", mentor).body
    assert (activity["duration_minutes"], activity["version"]) == (120, 2) and activity["activity_date"][11:16] == "12:00"
    assert api.call("GET", f"/api/activities/{call_id}", mentor).body == approved
    assert imported(api, mentor, _google_changed(MOVED, LENGTHENED)).body["counts"]["updated"] == 0  # and once only


def test_a_cancelled_event_soft_deletes_its_unreviewed_activity(api: Api, org_id: str, mentor: Person):
    first = {r["summary"]: r for r in imported(api, mentor, current("google.ics")).body["results"] if r["outcome"] == "created"}
    cancelled = _google_changed(("SEQUENCE:0\nSTATUS:CONFIRMED\nSUMMARY:Telefon med Ola", "SEQUENCE:1\nSTATUS:CANCELLED\nSUMMARY:Telefon med Ola"))
    reply = imported(api, mentor, cancelled)
    row = next(r for r in reply.body["results"] if r["summary"] == "Telefon med Ola")
    assert (row["outcome"], row["activity_id"]) == ("deleted", first["Telefon med Ola"]["activity_id"])
    assert api.call("GET", f"/api/activities/{row['activity_id']}", mentor).status == 404
    assert next(r for r in imported(api, mentor, cancelled).body["results"] if r["summary"] == "Telefon med Ola")["outcome"] == "existing"
    # the event coming back does not bring back an activity its owner's calendar cancelled
    back = next(r for r in imported(api, mentor, current("google.ics")).body["results"] if r["summary"] == "Telefon med Ola")
    assert (back["outcome"], back["rule"]) == ("skipped", "calendar_activity_deleted")


def test_every_activity_rule_applies_to_an_imported_event(api: Api, org_id: str, mentor: Person):
    admin = make_user(api, org_id, "admin")
    api.call("PATCH", "/api/organization", admin, {"calendar_activity_types": {"Kaffe": "group_activity"}})
    reply = imported(api, mentor, current("apple.ics"))
    row = next(r for r in reply.body["results"] if r["summary"] == "Kaffe med Siri")  # a group activity with no attendees
    assert (row["outcome"], row["rule"], row["activity_id"]) == ("skipped", "group_activity_requires_participant_count", None)


def test_an_occurrence_is_written_once_even_when_another_import_wrote_its_guard_first(api: Api, org_id: str, mentor: Person, monkeypatch: pytest.MonkeyPatch):
    """The guard goes in the activity's own transaction: an import that read no guard, but meets one
    written since, writes no activity and answers `existing`."""
    from activity_tracker.repository import calendars

    real = calendars.imported
    monkeypatch.setattr(calendars, "imported", lambda org, user, keys: {} if len(keys) > 1 else real(org, user, keys))  # the batch read misses it
    first = imported(api, mentor, current("apple.ics"))
    again = imported(api, mentor, current("apple.ics"))
    assert again.body["counts"]["created"] == 0 and again.body["counts"]["existing"] == first.body["counts"]["created"]
    assert len(activities_of(api, mentor)) == first.body["counts"]["created"]


def test_an_import_of_n_new_events_makes_one_write_per_event_and_a_few_reads(api: Api, org_id: str, mentor: Person, monkeypatch: pytest.MonkeyPatch):
    calls = record_aws_calls(monkeypatch)
    reply = imported(api, mentor, current("google.ics"))
    operations = [name for name, _, _ in calls]
    assert operations.count("TransactWriteItems") == reply.body["counts"]["created"] == 5
    assert len(operations) - 5 <= 4, operations  # the caller, the organization, the guards (one batch); no activity to read


@pytest.mark.parametrize(
    ("data", "content_type", "status", "rule"),
    [
        (b"", "text/calendar", 400, "calendar_malformed"),
        (b"not a calendar", "text/calendar", 400, "calendar_malformed"),
        (b'{"items": []}', "application/json", 400, "calendar_malformed"),
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:Møte\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".encode("latin-1"), "text/calendar", 400, "calendar_charset"),
        (("BEGIN:VCALENDAR\r\n" + "BEGIN:VEVENT\r\n" * 20 + "END:VEVENT\r\n" * 20 + "END:VCALENDAR\r\n").encode(), "text/calendar", 400, "calendar_malformed"),
        (("BEGIN:VCALENDAR\r\n" + "BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n" * 1001 + "END:VCALENDAR\r\n").encode(), "text/calendar", 413, "calendar_events_max"),
    ],
    ids=["empty", "text", "json", "latin-1 unnamed", "nested", "1001 events"],
)
def test_a_bad_file_is_a_4xx_with_its_rule_and_writes_nothing(api: Api, org_id: str, mentor: Person, data: bytes, content_type: str, status: int, rule: str):
    before = table_items(org_id)
    reply = imported(api, mentor, data, headers={"content-type": content_type})
    assert (reply.status, reply.rules) == (status, [rule]), reply.body
    assert table_items(org_id) == before


def test_a_file_of_10000_events_is_refused_before_it_is_read(api: Api, org_id: str, mentor: Person):
    events = "".join(f"BEGIN:VEVENT\r\nUID:{i}\r\nDTSTART:20261120T100000Z\r\nEND:VEVENT\r\n" for i in range(10_000))
    reply = imported(api, mentor, f"BEGIN:VCALENDAR\r\n{events}END:VCALENDAR\r\n".encode())
    assert (reply.status, reply.error["code"]) == (413, "payload_too_large")  # over the 256 KiB body limit
    small = "".join("BEGIN:VEVENT\r\nEND:VEVENT\r\n" for _ in range(10_000))  # 10,000 events that fit in it
    reply = imported(api, mentor, f"BEGIN:VCALENDAR\r\n{small}END:VCALENDAR\r\n".encode())
    assert (reply.status, reply.rules) == (413, ["calendar_events_max"])
    assert activities_of(api, mentor) == []


def test_the_organization_maps_keywords_to_activity_types(api: Api, org_id: str, mentor: Person):
    admin = make_user(api, org_id, "admin")
    assert api.call("GET", "/api/organization", admin).body["calendar_activity_types"] == {}
    assert api.call("PATCH", "/api/organization", mentor, {"calendar_activity_types": MAPPING}).status == 403
    assert api.call("PATCH", "/api/organization", admin, {"calendar_activity_types": {"x": "party"}}).status == 400
    assert api.call("PATCH", "/api/organization", admin, {"calendar_activity_types": {"": "meeting"}}).status == 400
    assert api.call("PATCH", "/api/organization", admin, {"calendar_activity_types": MAPPING}).body["calendar_activity_types"] == MAPPING
    assert api.call("PATCH", "/api/organization", admin, {"calendar_activity_types": {"kurs": "course"}}).body["calendar_activity_types"] == {"kurs": "course"}  # replaced whole


# ---------------------------------------------------------------- feed
def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_the_feed_is_public_by_its_secret_url_and_lists_classes_and_activities(api: Api, org_id: str, mentor: Person):
    from ics import Calendar

    admin = make_user(api, org_id, "admin")
    hosted = api.call("POST", "/api/classes", mentor, {"class_type": "grupal", "max_participants": 5, "scheduled_at": "2099-01-05T10:00:00Z", "title": "Tegnspråk"}).body
    joined = api.call("POST", "/api/classes", admin, {"class_type": "grupal", "max_participants": 5, "scheduled_at": "2099-01-06T10:00:00Z"}).body
    assert api.call("POST", f"/api/classes/{joined['id']}/join", mentor).status == 200
    assert api.call("POST", f"/api/classes/{joined['id']}/cancel", admin).status == 200
    logged = api.call("POST", "/api/activities", mentor, {"activity_date": "2026-11-20", "activity_type": "home_visit", "summary": "Kari"}).body
    imported(api, mentor, current("apple.ics"))  # already in the mentor's calendar: not in the feed

    created = api.call("POST", "/api/calendar/feed", mentor)
    assert created.status == 201 and created.body["url"].endswith(".ics") and len(_token(created.body["url"])) == 47
    feed = api.call("GET", f"/api/calendar/feed/{_token(created.body['url'])}", None)
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar") and feed.headers["etag"]
    events = {e.uid: e for e in Calendar(feed.body).events}  # a second, independent parser
    assert set(events) == {f"class-{hosted['id']}@activity-tracker", f"class-{joined['id']}@activity-tracker", f"activity-{logged['id']}@activity-tracker"}
    assert events[f"class-{hosted['id']}@activity-tracker"].name == "Tegnspråk"
    assert events[f"class-{joined['id']}@activity-tracker"].status == "CANCELLED"
    assert "Kari" in events[f"activity-{logged['id']}@activity-tracker"].name

    again = api.call("GET", f"/api/calendar/feed/{_token(created.body['url'])}", None, headers={"If-None-Match": feed.headers["etag"]})
    assert again.status == 304 and again.body is None
    api.call("PATCH", f"/api/activities/{logged['id']}", mentor, {"duration_minutes": 50})
    changed = api.call("GET", f"/api/calendar/feed/{_token(created.body['url'])}", None, headers={"If-None-Match": feed.headers["etag"]})
    assert changed.status == 200 and "SEQUENCE:1" in changed.body.split(f"activity-{logged['id']}")[1].split("END:VEVENT")[0]


def test_rotating_or_revoking_the_feed_ends_the_old_url_and_no_token_is_stored(api: Api, org_id: str, mentor: Person):
    first = _token(api.call("POST", "/api/calendar/feed", mentor).body["url"])
    second = _token(api.call("POST", "/api/calendar/feed", mentor).body["url"])
    assert api.call("GET", f"/api/calendar/feed/{first}", None).status == 404
    assert api.call("GET", f"/api/calendar/feed/{second}", None).status == 200
    stored = json.dumps(table_items(org_id)) + json.dumps(table_items("CALFEED"))
    assert first.removesuffix(".ics") not in stored and second.removesuffix(".ics") not in stored
    assert api.call("DELETE", "/api/calendar/feed", mentor).status == 204
    assert api.call("GET", f"/api/calendar/feed/{second}", None).status == 404
    assert api.call("DELETE", "/api/calendar/feed", mentor).status == 204


@pytest.mark.parametrize("token", ["x.ics", "A" * 43 + ".ics", "A" * 43, "a" * 47])
def test_an_unknown_or_malformed_token_is_404(api: Api, token: str):
    assert api.call("GET", f"/api/calendar/feed/{token}", None).status == 404


def test_a_deactivated_users_feed_stops(api: Api, org_id: str, mentor: Person):
    admin = make_user(api, org_id, "admin")
    token = _token(api.call("POST", "/api/calendar/feed", mentor).body["url"])
    assert api.call("PATCH", f"/api/users/{mentor.sub}", admin, {"active": False}).status == 200
    assert api.call("GET", f"/api/calendar/feed/{token}", None).status == 404


def test_a_token_is_read_at_most_its_hourly_limit(api: Api, mentor: Person, monkeypatch: pytest.MonkeyPatch):
    from activity_tracker.logic import calendar_feed

    monkeypatch.setattr(calendar_feed, "FEED_REQUESTS_PER_HOUR", 2)
    token = _token(api.call("POST", "/api/calendar/feed", mentor).body["url"])
    assert [api.call("GET", f"/api/calendar/feed/{token}", None).status for _ in range(2)] == [200, 200]
    limited = api.call("GET", f"/api/calendar/feed/{token}", None)
    assert (limited.status, limited.rules) == (429, ["calendar_feed_rate"]) and 1 <= int(limited.headers["retry-after"]) <= 3601


def test_the_same_event_twice_in_one_file_is_imported_once(api: Api, org_id: str, mentor: Person):
    event = "BEGIN:VEVENT\r\nUID:twice\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\n"
    start = current("apple.ics").decode().split("DTSTART;TZID=Europe/Oslo:")[1][:15]  # a past time of this week's fixtures
    events = event.format(start=start, end=start, summary="first") + event.format(start=start, end=start, summary="second")
    reply = imported(api, mentor, f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{events}END:VCALENDAR\r\n".encode())
    assert outcomes(reply) == [("first", "created", None), ("second", "skipped", "calendar_event_repeated")]
    assert [a["summary"] for a in activities_of(api, mentor)] == ["first"]


class Feed:
    """A subscribed calendar app: polls with the ETag of the last body it got."""

    def __init__(self, api: Api, org_id: str, who: Person):
        self.api, self.org_id, self.token = api, org_id, _token(api.call("POST", "/api/calendar/feed", who).body["url"])
        self.etag: str | None = None

    def poll(self) -> Any:
        reply = self.api.call("GET", f"/api/calendar/feed/{self.token}", None, headers={"If-None-Match": self.etag} if self.etag else None)
        if reply.status == 200:
            self.etag = reply.headers["etag"]
        return reply

    def stamp(self) -> str | None:
        from activity_tracker.repository import calendars

        return calendars.FeedToken.get(f"CALFEED#{calendars.token_hash(self.token.removesuffix('.ics'))}", "CALFEED", consistent_read=True).feed_stamp


def drain(api: Api, org_id: str) -> list[dict[str, Any]]:
    """The stream consumer over every record of the organization so far (a redelivery of what it had: idempotent)."""
    records = recorded(api.stack, org_id)
    assert consume(api, records) == {"batchItemFailures": []}
    return records


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every change counts as settled at once (in production: a minute after it, see calendar_feed.SETTLE)."""
    from datetime import timedelta

    from activity_tracker.logic import calendar_feed

    monkeypatch.setattr(calendar_feed, "SETTLE", timedelta(0))


def test_a_poll_of_an_unchanged_feed_is_one_call_and_every_change_it_shows_gives_a_new_etag(api: Api, org_id: str, mentor: Person, settled: None, monkeypatch: pytest.MonkeyPatch):
    """The token's UpdateItem (the hourly count) returns the feed stamp the stream consumer moves
    on every change the feed shows: an unchanged feed answers 304 from that one call."""
    admin, other = make_user(api, org_id, "admin"), make_user(api, org_id)
    hosted = api.call("POST", "/api/classes", mentor, {"class_type": "grupal", "max_participants": 5, "scheduled_at": "2099-02-01T10:00:00Z"}).body
    logged = api.call("POST", "/api/activities", mentor, {"activity_date": "2026-11-20", "activity_type": "meeting"}).body
    feed = Feed(api, org_id, mentor)
    drain(api, org_id)
    assert feed.poll().status == 200
    calls = record_aws_calls(monkeypatch)
    assert feed.poll().status == 304
    assert [(name, params["Key"]["pk"]["S"][:8], params.get("ReturnValues")) for name, params, _ in calls] == [("UpdateItem", "CALFEED#", "ALL_NEW")]
    monkeypatch.undo()
    monkeypatch.setattr("activity_tracker.logic.calendar_feed.SETTLE", __import__("datetime").timedelta(0))

    joined = api.call("POST", "/api/classes", admin, {"class_type": "grupal", "max_participants": 5, "scheduled_at": "2099-02-02T10:00:00Z"}).body
    changes: list[tuple[str, Any, str | None]] = [
        ("activity created", lambda: api.call("POST", "/api/activities", mentor, {"activity_date": "2026-11-21", "activity_type": "meeting", "summary": "Ny"}), "Ny"),
        ("activity edited", lambda: api.call("PATCH", f"/api/activities/{logged['id']}", mentor, {"summary": "Endret"}), "Endret"),
        ("activity reviewed", lambda: api.call("POST", f"/api/activities/{logged['id']}/review", admin, {"action": "approve"}), None),
        ("class joined", lambda: api.call("POST", f"/api/classes/{joined['id']}/join", mentor), f"class-{joined['id']}"),
        ("someone joined the hosted class", lambda: api.call("POST", f"/api/classes/{hosted['id']}/join", other), None),
        ("hosted class confirmed", lambda: api.call("POST", f"/api/classes/{hosted['id']}/confirm", mentor), None),
        ("joined class cancelled by its host", lambda: api.call("POST", f"/api/classes/{joined['id']}/cancel", admin), "STATUS:CANCELLED"),
        ("class hosted", lambda: api.call("POST", "/api/classes", mentor, {"class_type": "grupal", "max_participants": 5, "scheduled_at": "2099-02-03T10:00:00Z", "title": "Tegnspråk"}), "Tegnspråk"),
        ("activity deleted", lambda: api.call("DELETE", f"/api/activities/{logged['id']}", admin), None),
    ]
    for what, change, shown in changes:
        before, stamp = feed.etag, feed.stamp()
        assert change().status in (200, 201, 204), what
        drain(api, org_id)
        assert feed.stamp() > stamp, what  # type: ignore[operator]
        reply = feed.poll()
        assert reply.status == 200 and feed.etag != before, what
        assert shown is None or shown in reply.body, what
        assert feed.poll().status == 304, what
    assert f"activity-{logged['id']}" not in reply.body  # the last change: deleted


def test_a_stamp_younger_than_settle_tags_the_bytes_themselves(api: Api, org_id: str, mentor: Person):
    """Within a minute of the stamp (GSI1 may lag the table), the ETag is the body's hash: a body read
    before the index caught up is never cached under the change's stamp."""
    feed = Feed(api, org_id, mentor)
    first = feed.poll()
    assert first.headers["etag"].startswith('"u') and feed.poll().status == 304
    api.call("POST", "/api/activities", mentor, {"activity_date": "2026-11-20", "activity_type": "meeting", "summary": "Ny"})
    assert feed.poll().status == 200  # not drained yet: the bytes differ


def test_the_etag_moves_when_the_window_slides_a_day(api: Api, org_id: str, mentor: Person, settled: None, monkeypatch: pytest.MonkeyPatch):
    from datetime import timedelta

    from activity_tracker import clock
    from activity_tracker.logic import calendar_feed

    feed = Feed(api, org_id, mentor)
    assert feed.poll().status == 200 and feed.poll().status == 304
    monkeypatch.setattr(calendar_feed, "now", lambda: clock.now() + timedelta(days=1))
    assert feed.poll().status == 200  # an activity may have left the 90 days


def test_a_redelivered_batch_moves_no_stamp_backwards_and_doubles_nothing(api: Api, org_id: str, mentor: Person, settled: None):
    from tests.stream_helpers import counters, expected_counters

    feed = Feed(api, org_id, mentor)
    api.call("POST", "/api/activities", mentor, {"activity_date": "2026-11-20", "activity_type": "meeting"})
    early = drain(api, org_id)
    api.call("POST", "/api/activities", mentor, {"activity_date": "2026-11-21", "activity_type": "meeting"})
    drain(api, org_id)
    stamp = feed.stamp()
    assert feed.poll().status == 200 and feed.poll().status == 304
    for batch in (early, recorded(api.stack, org_id), list(reversed(early))):  # older records, the same batch again, out of order
        assert consume(api, batch) == {"batchItemFailures": []}
        assert feed.stamp() == stamp
        assert feed.poll().status == 304
    assert counters(org_id) == expected_counters(org_id)


def test_the_consumer_writes_no_stamp_for_a_user_without_a_feed(api: Api, org_id: str, mentor: Person, monkeypatch: pytest.MonkeyPatch):
    api.call("POST", "/api/activities", mentor, {"activity_date": "2026-11-20", "activity_type": "meeting"})
    api.call("POST", "/api/classes", mentor, {"class_type": "grupal", "max_participants": 5, "scheduled_at": "2099-02-01T10:00:00Z"})
    records = recorded(api.stack, org_id)
    calls = record_aws_calls(monkeypatch)
    assert consume(api, records) == {"batchItemFailures": []}
    pointer_reads = [p for name, p, _ in calls if name == "BatchGetItem" and "CALFEED" in json.dumps(p)]
    assert len(pointer_reads) == 1  # one read of the batch's users' pointers
    assert not [p for name, p, _ in calls if name in ("UpdateItem", "PutItem") and "CALFEED" in json.dumps(p)]


def test_a_deactivated_users_settled_feed_stops_once_the_stream_has_the_change(api: Api, org_id: str, mentor: Person, settled: None):
    admin = make_user(api, org_id, "admin")
    feed = Feed(api, org_id, mentor)
    drain(api, org_id)
    assert feed.poll().status == 200 and feed.poll().status == 304
    assert api.call("PATCH", f"/api/users/{mentor.sub}", admin, {"active": False}).status == 200
    drain(api, org_id)
    assert feed.poll().status == 404
