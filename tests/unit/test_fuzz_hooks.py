"""The data `make fuzz`'s hooks give a generated request so it meets the rules JSON Schema cannot
state (local/fuzz_hooks.py): only the value that breaks such a rule changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from local.fuzz import KNOWN_TIMEZONE, as_calendar, in_the_past, keeps_group, known_timezone, matching_if_match, meet_activity_rules


@pytest.mark.parametrize(
    ("generated", "sent"),
    [
        ("9999-12-31", "2004-12-31"),
        ("2400-02-29", "2004-02-29"),  # a leap day stays a date
        ("2999-01-01T10:00:00+14:00", "2004-01-01T10:00:00+14:00"),
        ("3000-05-05T01:02:03.5", "2004-05-05T01:02:03.5"),
        ("2001-03-04", "2001-03-04"),  # in the past: as generated
        ("2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z"),
        ("2026-13-40", "2026-13-40"),  # not a date: as generated, the API's 400 is right
        ("", ""),
    ],
)
def test_a_date_in_the_future_moves_to_2004_and_nothing_else_changes(generated, sent):
    assert in_the_past(generated) == sent


def test_today_counts_as_the_future_in_some_time_zone():
    today = datetime.now(UTC).date().isoformat()
    assert in_the_past(today) == "2004" + today[4:]
    assert in_the_past((datetime.now(UTC) - timedelta(days=3)).date().isoformat()).startswith(str((datetime.now(UTC) - timedelta(days=3)).year))


def test_ids_name_the_fuzz_organizations_items_in_bodies_and_batch_items(monkeypatch):
    monkeypatch.setenv("FUZZ_CONTACT_ID", "contact-1")
    monkeypatch.setenv("FUZZ_USER_ID", "member-1")
    body = {"activity_date": "9000-01-01", "contact_id": "x", "user_id": "y", "summary": "\x00", "items": [{"contact_id": "z", "activity_date": 5}, 7], "activity": {"contact_id": None}}
    meet_activity_rules(body)
    assert body == {
        "activity_date": "2004-01-01", "contact_id": "contact-1", "user_id": "member-1", "summary": "\x00",
        "items": [{"contact_id": "contact-1", "activity_date": 5}, 7], "activity": {"contact_id": None},
    }  # fmt: skip


def test_without_fixtures_ids_stay_as_generated(monkeypatch):
    monkeypatch.delenv("FUZZ_CONTACT_ID", raising=False)
    monkeypatch.delenv("FUZZ_USER_ID", raising=False)
    body = {"contact_id": "x", "user_id": "y"}
    meet_activity_rules(body)
    assert body == {"contact_id": "x", "user_id": "y"}


def test_an_unknown_time_zone_becomes_a_known_one():
    for name, sent in [("Mars/Olympus", KNOWN_TIMEZONE), ("../etc", KNOWN_TIMEZONE), ("America/Lima", "America/Lima")]:
        body = {"timezone": name, "name": "x"}
        known_timezone(body)
        assert body == {"timezone": sent, "name": "x"}


@pytest.mark.parametrize(
    ("patch", "group"),
    [({"is_group_activity": True}, True), ({"participant_count": 5}, True), ({"participant_count": None}, False), ({"is_group_activity": False}, False), ({}, False), (None, False)],
)
def test_a_patch_gets_an_activity_it_can_keep_consistent(patch, group):
    assert keeps_group(patch) is group


def test_if_match_keeps_its_generated_tags_and_matches_any_version():
    for sent, after in [('"v3"', '"v3", *'), ("W/x", "W/x, *"), (" ", "*")]:
        headers = {"If-Match": sent, "X": "y"}
        matching_if_match(headers)
        assert headers == {"If-Match": after, "X": "y"}
    matching_if_match(None)


def test_generated_bytes_become_one_event_of_a_calendar_the_import_reads():
    import local  # noqa: F401 - the shared layer on sys.path
    from activity_tracker.calendars import parse

    for generated in [b"", b"\x00\xff;,\\ a\r\nEND:VCALENDAR", "\u2028" * 3]:
        occurrences = parse.read(as_calendar(generated), "text/calendar", timezone="Europe/Oslo", email="a@b.example", now=datetime.now(UTC))
        assert len(occurrences) == 1 and occurrences[0].skip is None
    assert parse.read(as_calendar(b"\xff;x"), "text/calendar", timezone="UTC", email="a@b.example", now=datetime.now(UTC))[0].summary == "\ufffd;x"
    real = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    assert as_calendar(real) is real  # a calendar stays as generated
