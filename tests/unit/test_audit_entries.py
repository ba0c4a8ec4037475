"""The audit trail's entries from stream images (pure): the diff, redaction of personal text, who,
when and which action."""

from __future__ import annotations

import json

from activity_tracker.rules.audit import REDACTED, SYSTEM, diff, entry_of
from activity_tracker.stream.images import Change

SECRET = "Kari Nordmann, 912 34 567, kari@example.no, lives alone and drinks"


def _activity(**fields):
    base = {
        "pk": "ORG#o#ACT#a1", "sk": "ACT", "type": "ACTIVITY", "id": "a1", "organization_id": "o", "user_id": "u1", "registered_by_user_id": "u1",
        "activity_date": "2026-11-02T00:00:00.000Z", "local_date": "2026-11-02", "duration_minutes": 30, "activity_type": "home_visit",
        "summary": None, "status": "under_review", "deleted_at": None, "created_at": "2026-11-02T10:00:00.000Z",
        "updated_at": "2026-11-02T10:00:00.000Z", "updated_by": "u1", "version": 1, "gsi1pk": "x", "gsi5sk": "y",
    }  # fmt: skip
    return {**base, **fields}


def _change(old, new, event_id="e1", at=None):
    return Change(event_id, "1", old, new, at)


def test_free_text_is_redacted_but_its_change_is_shown():
    old, new = _activity(summary=SECRET), _activity(summary=SECRET + "!", duration_minutes=45)
    assert diff("ACTIVITY", old, new) == [
        {"field": "duration_minutes", "old": 30, "new": 45, "redacted": False},
        {"field": "summary", "old": REDACTED, "new": REDACTED, "redacted": True},
    ]
    assert diff("ACTIVITY", _activity(), _activity(summary=SECRET)) == [{"field": "summary", "old": None, "new": REDACTED, "redacted": True}]
    assert diff("ACTIVITY", _activity(summary=SECRET), _activity(summary=None)) == [{"field": "summary", "old": REDACTED, "new": None, "redacted": True}]


def test_keys_index_keys_and_bookkeeping_are_not_changes():
    old = _activity()
    new = _activity(updated_at="2026-11-03T00:00:00.000Z", updated_by="u2", version=2, gsi1pk="z", gsi5sk="w", local_date="2026-11-03")
    assert diff("ACTIVITY", old, new) == []


def test_personal_fields_of_every_entity_never_reach_an_entry():
    user_old = {"type": "USER", "id": "u1", "organization_id": "o", "email": "kari@example.no", "name": None, "telefono": None, "role": "member", "updated_at": "t1", "updated_by": "u1"}
    user_new = {**user_old, "name": SECRET, "telefono": "912 34 567", "image": "https://img.example/kari.png", "localidad": "Tromsø", "role": "coordinator", "updated_at": "t2", "updated_by": "admin"}
    contact = {"type": "CONTACT", "id": "c1", "organization_id": "o", "name": SECRET, "notes": SECRET, "created_by_user_id": "u1", "created_at": "t", "updated_at": "t", "updated_by": "u1"}
    report = {"type": "HOME_VISIT_REPORT", "id": "r1", "organization_id": "o", "activity_id": "a1", "content": SECRET, "created_by_user_id": "u1", "created_at": "t"}
    activity = _activity(summary=SECRET, rejection_reason=SECRET, calendar_event_uid="kari@example.no")
    entries = [entry_of(_change(user_old, user_new)), entry_of(_change(None, contact)), entry_of(_change(None, report)), entry_of(_change(None, activity))]
    assert all(entries)
    text = json.dumps([e.as_dict() for e in entries if e])
    for personal in (SECRET, "912 34 567", "kari@example.no", "Tromsø", "img.example"):
        assert personal not in text
    user_changes = {c["field"]: c for c in entries[0].changes}  # type: ignore[union-attr]
    assert user_changes["role"] == {"field": "role", "old": "member", "new": "coordinator", "redacted": False}
    assert {name for name, c in user_changes.items() if c["redacted"]} == {"name", "telefono", "image", "localidad"}


def test_a_field_nobody_listed_is_redacted_by_default():
    assert diff("ACTIVITY", _activity(), _activity(erasure_note="anything")) == [{"field": "erasure_note", "old": None, "new": REDACTED, "redacted": True}]


def test_who_and_when_come_from_the_write_and_the_consumers_own_flags_are_the_systems():
    old = _activity()
    edited = _activity(duration_minutes=60, updated_at="2026-11-02T11:00:00.123Z", updated_by="coord", version=2)
    entry = entry_of(_change(old, edited))
    assert entry and (entry.actor, entry.at, entry.action, entry.version, entry.entity, entry.entity_id, entry.activity_id) == (
        "coord", "2026-11-02T11:00:00.123Z", "updated", 2, "activity", "a1", "a1",
    )  # fmt: skip
    flagged = {**edited, "duplicate_of_activity_id": "a0", "gsi5sk": "z"}  # the consumer moves neither updated_at nor version
    entry = entry_of(_change(edited, flagged, at=1_790_000_000))
    assert entry and entry.actor == SYSTEM and entry.at == "2026-09-21T14:13:20.000Z"
    assert entry.changes == [{"field": "duplicate_of_activity_id", "old": None, "new": "a0", "redacted": False}]


def test_actions_follow_the_activity_state():
    created = entry_of(_change(None, _activity()))
    assert created and created.action == "created" and created.actor == "u1" and created.at == "2026-11-02T10:00:00.000Z"
    later = {"updated_at": "2026-11-02T12:00:00.000Z", "version": 2}
    deleted = entry_of(_change(_activity(), _activity(deleted_at="2026-11-02T12:00:00.000Z", **later)))
    restored = entry_of(_change(_activity(deleted_at="x"), _activity(**later)))
    reviewed = entry_of(_change(_activity(), _activity(status="approved", reviewed_by_user_id="c", **later)))
    assert [e.action for e in (deleted, restored, reviewed) if e] == ["deleted", "restored", "reviewed"]
    removed = entry_of(_change(_activity(), None, at=1_790_000_000))
    assert removed and removed.action == "removed" and removed.actor is None


def test_only_a_download_of_an_export_is_an_entry():
    export = {"type": "EXPORT", "id": "x1", "organization_id": "o", "status": "done", "updated_at": "t"}
    assert entry_of(_change({**export, "status": "running"}, export)) is None  # the worker's run
    downloaded = {**export, "downloads": 1, "last_downloaded_by": "coord", "last_downloaded_at": "2026-11-05T08:00:00.000Z"}
    entry = entry_of(_change(export, downloaded))
    assert entry and (entry.entity, entry.entity_id, entry.action, entry.actor, entry.at, entry.changes) == ("export", "x1", "downloaded", "coord", "2026-11-05T08:00:00.000Z", [])
    again = {**downloaded, "downloads": 2, "last_downloaded_by": "admin", "last_downloaded_at": "2026-11-05T09:00:00.000Z"}
    assert (entry := entry_of(_change(downloaded, again))) and entry.actor == "admin"


def test_audit_items_counters_and_a_users_counter_write_no_entry():
    assert entry_of(_change(None, {"type": "AUDIT", "id": "e", "organization_id": "o"})) is None
    assert entry_of(_change(None, {"type": "COUNTER", "pk": "ORG#o", "sk": "STATS#2026-11", "activity_count": 1})) is None
    user = {"type": "USER", "id": "u1", "organization_id": "o", "total_classes": 0, "updated_at": "t", "updated_by": "u1"}
    assert entry_of(_change(user, {**user, "total_classes": 1})) is None


def test_the_organizations_category_map_is_shown_as_an_object():
    org = {"type": "ORGANIZATION", "id": "o", "name": "Org", "activity_type_categories": '{"meeting": "outreach"}', "updated_at": "t1"}
    entry = entry_of(_change(org, {**org, "activity_type_categories": '{"meeting": null}', "updated_at": "t2", "updated_by": "admin"}))
    assert entry and entry.organization_id == "o" and entry.entity == "organization" and entry.actor == "admin"
    assert entry.changes == [{"field": "activity_type_categories", "old": {"meeting": "outreach"}, "new": {"meeting": None}, "redacted": False}]


def test_a_contact_soft_delete_is_a_deletion_with_its_time_shown():
    contact = {"type": "CONTACT", "id": "c1", "organization_id": "o", "name": SECRET, "notes": None, "created_by_user_id": "u1", "created_at": "t", "updated_at": "t", "updated_by": "u1", "version": 1}
    deleted = {**contact, "deleted_at": "2026-11-03T00:00:00.000Z", "updated_at": "t2", "updated_by": "u2", "version": 2}
    entry = entry_of(_change(contact, deleted))
    assert entry is not None and entry.action == "deleted" and entry.actor == "u2"
    assert entry.changes == [{"field": "deleted_at", "old": None, "new": "2026-11-03T00:00:00.000Z", "redacted": False}]


def test_the_organizations_calendar_and_retention_settings_are_shown():
    org = {"type": "ORGANIZATION", "id": "o", "name": "Org", "calendar_activity_types": "{}", "retention": '{"free_text_years": null}', "updated_at": "t1"}
    new = {**org, "calendar_activity_types": '{"visit": "home_visit"}', "retention": '{"free_text_years": 5}', "updated_at": "t2", "updated_by": "admin"}
    entry = entry_of(_change(org, new))
    assert entry is not None and entry.changes == [
        {"field": "calendar_activity_types", "old": {}, "new": {"visit": "home_visit"}, "redacted": False},
        {"field": "retention", "old": {"free_text_years": None}, "new": {"free_text_years": 5}, "redacted": False},
    ]
