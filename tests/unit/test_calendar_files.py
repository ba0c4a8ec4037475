"""Reading calendar files (activity_tracker.calendars.parse) and writing the feed (calendars.render):
fixtures shaped like Google Calendar, Outlook and Apple Calendar exports, and hostile files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from activity_tracker.calendars import parse
from activity_tracker.calendars.parse import Occurrence, read
from activity_tracker.errors import PayloadTooLarge, ValidationFailed
from activity_tracker.logic.calendar_import import activity_type_for
from tests.calendar_files import REFERENCE_NOW, fixture, moved

MENTOR = "mentor@tests.example"


def occurrences(name: str, now: datetime = REFERENCE_NOW, email: str = MENTOR) -> list[Occurrence]:
    return read(fixture(name), "text/calendar", timezone="Europe/Oslo", email=email, now=now)


def table(found: list[Occurrence]) -> list[tuple[str, str | None, int | None, bool, str | None]]:
    return [(o.summary or "", o.activity_date, o.duration_minutes, o.cancelled, o.skip[0] if o.skip else None) for o in found]


def test_a_google_export_with_vtimezone_rrule_exdate_overrides_attendees_and_all_day_events():
    found = occurrences("google.ics")
    assert table(found) == [
        # RRULE without end, weekly on Mondays 10:00 Oslo (09:00Z in winter): EXDATE 11-09 left out,
        # 11-16 overridden (moved to 12:00, 90 minutes), 11-23 cancelled, 11-30 today at 09:00Z
        ("Besøk hos Kari", "2026-11-02T09:00:00Z", 60, False, None),
        ("Besøk hos Kari (flyttet)", "2026-11-16T11:00:00Z", 90, False, None),
        ("Besøk hos Kari", "2026-11-23T09:00:00Z", 60, True, None),
        ("Besøk hos Kari", "2026-11-30T09:00:00Z", 60, False, None),
        ("Telefon med Ola", "2026-11-20T13:00:00Z", 30, False, None),
        ("Styremøte", "2026-11-18T17:00:00Z", 120, False, "calendar_event_declined"),  # PARTSTAT=DECLINED for the mentor's email
        ("Besøk neste måned", "2026-12-10T09:00:00Z", 60, False, "activity_date_not_in_future"),
        ("Kurs for mentorer", "2026-11-25", None, False, None),  # all-day: the organization's day, the default duration
        ("Samling på Hamar", "2026-11-10", None, False, "calendar_event_longer_than_a_day"),
        ("Avlyst møte", "2026-11-12T08:00:00Z", 60, True, None),
    ]
    recurring = [o for o in found if o.uid.startswith("0f3k")]
    assert [o.recurrence_id for o in recurring] == ["20261102T090000Z", "20261116T090000Z", "20261123T090000Z", "20261130T090000Z"]  # the original starts
    assert all(o.recurrence_id == "" for o in found if not o.uid.startswith("0f3k"))
    assert next(o for o in found if o.summary == "Telefon med Ola").attendees == 2


def test_an_outlook_export_with_windows_time_zone_names_count_exdate_and_a_lengthened_instance():
    assert table(occurrences("outlook.ics")) == [
        ("Samtale med Per", "2026-11-04T12:00:00Z", 60, False, None),  # W. Europe Standard Time 13:00
        ("Samtale med Per", "2026-11-18T14:00:00Z", 90, False, None),  # the instance moved to 15:00 and lengthened
        ("Samtale med Per", "2026-11-25T12:00:00Z", 60, False, None),  # COUNT=4 with 11-11 excluded
        ("Hos familien Hansen", "2026-11-19", None, False, None),
        ("Planlegging", "2026-11-26T07:30:00Z", 45, False, None),
        ("Gammelt møte", "2026-01-15T09:00:00Z", 60, False, "calendar_event_outside_window"),
    ]
    assert occurrences("outlook.ics")[3].categories == ["Hjemmebesøk"]
    assert occurrences("outlook.ics")[4].attendees == 2  # the mentor's address in another case is still the mentor


def test_an_apple_export_with_floating_times_alarms_daily_until_and_duration():
    found = occurrences("apple.ics")
    assert table(found) == [
        ("Gruppemøte i parken", "2026-11-05T09:00:00", 45, False, None),  # floating: the organization's local time
        ("Telefonrunde", "2026-11-06T15:30:00Z", 30, False, None),
        ("Telefonrunde", "2026-11-07T15:30:00Z", 30, False, None),
        ("Telefonrunde", "2026-11-08T15:30:00Z", 30, False, None),
        ("Kaffe med Siri", "2026-11-27T10:30:00Z", 45, False, None),
    ]
    assert found[0].start_utc == datetime(2026, 11, 5, 8, 0, tzinfo=UTC) and found[0].categories == ["Gruppe"] and found[0].attendees == 3


def test_keywords_and_categories_choose_the_activity_type():
    mapping = {"hjemmebesøk": "home_visit", "telefon": "phone_call", "gruppe": "group_activity"}
    by_summary = {o.summary: activity_type_for(o, mapping) for o in occurrences("outlook.ics") + occurrences("apple.ics") + occurrences("google.ics")}
    assert by_summary["Hos familien Hansen"] == "home_visit"  # CATEGORIES
    assert by_summary["Telefonrunde"] == "phone_call" and by_summary["Telefon med Ola"] == "phone_call"  # SUMMARY
    assert by_summary["Gruppemøte i parken"] == "group_activity"
    assert by_summary["Samtale med Per"] == "meeting"  # nothing matches: the default
    both = Occurrence(uid="u", recurrence_id="", summary="Telefon", activity_date=None, start_utc=None, duration_minutes=None, categories=["Hjemmebesøk"])
    assert activity_type_for(both, mapping) == "home_visit"  # categories before keywords in the summary


def test_moving_a_fixture_by_weeks_keeps_its_weekdays():
    text = moved(fixture("google.ics").decode(), timedelta(weeks=3))
    assert "DTSTART;TZID=Europe/Oslo:20261123T100000" in text and "DTSTART:19700329T020000" in text  # time-zone rules stay


def _calendar(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n").encode()


def _event(uid: str, start: str = "20261120T100000Z", extra: str = "") -> str:
    return f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:{start}\r\nDTEND:{start[:9]}110000Z\r\n{extra}SUMMARY:e\r\nEND:VEVENT\r\n"


def _read(data: bytes, content_type: str = "text/calendar") -> list[Occurrence]:
    return read(data, content_type, timezone="Europe/Oslo", email=MENTOR, now=REFERENCE_NOW)


@pytest.mark.parametrize("data", [b"", b"garbage", b"BEGIN:VCALENDAR\r\n", b"BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n", b'{"items": []}', _calendar() + _calendar()])
def test_a_file_that_is_no_calendar_is_400_calendar_malformed(data: bytes):
    with pytest.raises(ValidationFailed) as error:
        _read(data)
    assert error.value.details[0]["rule"] == "calendar_malformed"


def test_components_nested_deeper_than_a_calendar_needs_are_400():
    nested = _calendar("BEGIN:VEVENT\r\n" * 50 + "UID:x\r\n" + "END:VEVENT\r\n" * 50)
    with pytest.raises(ValidationFailed) as error:
        _read(nested)
    assert error.value.details[0]["rule"] == "calendar_malformed"


def test_an_event_holding_another_component_is_skipped_and_the_others_imported():
    found = _read(_calendar(_event("a", extra="BEGIN:VTODO\r\nUID:t\r\nEND:VTODO\r\n"), _event("b")))
    assert [(o.uid, o.skip and o.skip[0]) for o in found] == [("a", "calendar_event_nested_component"), ("b", None)]


def test_a_file_in_another_charset_is_read_when_named_and_refused_with_a_rule_when_not():
    latin = _calendar(_event("a")).replace(b"SUMMARY:e", "SUMMARY:Møte".encode("latin-1"))
    with pytest.raises(ValidationFailed) as error:
        _read(latin)
    assert error.value.details[0]["rule"] == "calendar_charset"
    assert _read(latin, "text/calendar; charset=ISO-8859-1")[0].summary == "Møte"
    assert _read(b"\xef\xbb\xbf" + _calendar(_event("a")))[0].uid == "a"  # a UTF-8 BOM
    assert _read(_calendar(_event("a")).decode().encode("utf-16"))[0].uid == "a"  # UTF-16 with its BOM
    with pytest.raises(ValidationFailed):
        _read(_calendar(_event("a")), "text/calendar; charset=no-such-charset")


def test_more_events_than_an_import_takes_is_413_before_anything_is_read(monkeypatch: pytest.MonkeyPatch):
    data = _calendar(*[_event(f"e{i}") for i in range(parse.MAX_EVENTS + 1)])
    with pytest.raises(PayloadTooLarge) as error:
        _read(data)
    assert error.value.details[0]["rule"] == "calendar_events_max"
    assert len(_read(_calendar(*[_event(f"e{i}") for i in range(parse.MAX_EVENTS)]))) == parse.MAX_EVENTS


def test_a_rrule_without_end_expands_only_inside_the_window():
    found = _read(_calendar(_event("daily", start="20200101T100000Z", extra="RRULE:FREQ=DAILY\r\n")))
    assert len(found) == parse.WINDOW_DAYS  # every day of the last 90 days (the window starts at noon, today at 10:00 is in)
    assert found[0].start_utc >= REFERENCE_NOW - timedelta(days=parse.WINDOW_DAYS) and found[-1].start_utc <= REFERENCE_NOW


def test_rules_that_repeat_more_than_daily_are_skipped_not_expanded():
    found = _read(_calendar(
        _event("secondly", start="19000101T100000Z", extra="RRULE:FREQ=SECONDLY\r\n"),
        _event("hours", start="20200101T100000Z", extra="RRULE:FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,30\r\n"),
        _event("weekly", start="20261102T100000Z", extra="RRULE:FREQ=WEEKLY\r\n"),
    ))  # fmt: skip
    assert [(o.uid, o.skip and o.skip[0]) for o in found] == [("secondly", "calendar_recurrence_too_frequent"), ("hours", "calendar_recurrence_too_frequent"),
                                                              ("weekly", None), ("weekly", None), ("weekly", None), ("weekly", None), ("weekly", None)]  # fmt: skip


def test_occurrences_past_the_limit_are_413():
    many = [_event(f"d{i}", start="20261101T100000Z", extra="RRULE:FREQ=DAILY\r\n") for i in range(parse.MAX_OCCURRENCES // 30 + 1)]
    with pytest.raises(PayloadTooLarge) as error:
        _read(_calendar(*many))
    assert error.value.details[0]["rule"] == "calendar_occurrences_max"


def test_events_without_uid_or_a_readable_start_are_skipped_with_their_rule():
    found = _read(_calendar("BEGIN:VEVENT\r\nDTSTART:20261120T100000Z\r\nSUMMARY:no uid\r\nEND:VEVENT\r\n", "BEGIN:VEVENT\r\nUID:bad\r\nDTSTART:2026XX\r\nEND:VEVENT\r\n",
                           _event("r", start="20261101T100000Z", extra="RRULE:FREQ=DAILY;UNTIL=garbage\r\n")))  # fmt: skip
    assert [o.skip and o.skip[0] for o in found] == ["calendar_event_uid_required", "calendar_event_invalid", "calendar_event_invalid"]


def test_the_feed_is_the_same_bytes_for_the_same_items_and_its_sequence_follows_changes():
    from activity_tracker.calendars.render import render

    klass = SimpleNamespace(id="c1", title=None, class_type="grupal", host_id="u1", status="cancelled", scheduled_at="2026-12-05T10:00:00Z",
                            created_at="2026-11-01T10:00:00.000Z", updated_at="2026-11-01T10:02:00.000Z")  # fmt: skip
    activity = SimpleNamespace(id="a1", activity_type="home_visit", summary="Kari", activity_date="2026-11-20T10:00:00.000Z", duration_minutes=45, status="approved",
                               version=3, created_at="2026-11-20T11:00:00.000Z", updated_at="2026-11-21T11:00:00.000Z")  # fmt: skip
    first = render([klass], [activity], user_id="u1")
    assert first == render([klass], [activity], user_id="u1")
    assert "UID:class-c1@activity-tracker" in first and "STATUS:CANCELLED" in first and "SEQUENCE:120" in first
    assert "UID:activity-a1@activity-tracker" in first and "SEQUENCE:2" in first and "SUMMARY:Home visit: Kari" in first
