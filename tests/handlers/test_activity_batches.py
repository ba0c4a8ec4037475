"""Offline sync and bulk registration: per-item outcomes, idempotent replays, limits."""

from __future__ import annotations

import threading

from tests.helpers import Api, make_user

SYNC, BULK = "/api/activities/sync", "/api/activities/bulk"


def item(local_id: str, **fields):
    return {"activity_date": "2026-11-02", "activity_type": "meeting", "local_id": local_id, **fields}


def test_sync_reports_each_item_in_request_order(api: Api, org_id: str):
    member = make_user(api, org_id)
    reply = api.call("POST", SYNC, member, {"items": [item("a"), item("b", activity_type="party"), item("c", duration_minutes=0), item("d")]})
    assert reply.status == 200
    results = reply.body["results"]
    assert [(r["local_id"], r["outcome"]) for r in results] == [("a", "created"), ("b", "rejected"), ("c", "rejected"), ("d", "created")]
    assert results[1]["error"]["code"] == "validation_error" and results[1]["error"]["details"][0]["rule"] == "activity_type_valid_enum"
    assert results[2]["error"]["details"][0]["field"] == "items.2.duration_minutes"
    assert results[0]["activity"]["local_id"] == "a" and "error" not in results[0]


def test_replaying_a_sync_creates_nothing_new_and_returns_the_same_records(api: Api, org_id: str):
    member = make_user(api, org_id)
    batch = {"items": [item(f"m{n}", activity_date=f"2026-10-{n + 1:02d}") for n in range(25)]}
    first = api.call("POST", SYNC, member, batch).body["results"]
    assert {r["outcome"] for r in first} == {"created"}
    for _ in range(3):
        again = api.call("POST", SYNC, member, batch).body["results"]
        assert {r["outcome"] for r in again} == {"existing"}
        assert [r["activity"] for r in again] == [r["activity"] for r in first]
    listed = api.call("GET", "/api/activities?limit=100", member).body["items"]
    assert len(listed) == 25


def test_two_clients_syncing_the_same_local_id_end_with_one_record(api: Api, org_id: str):
    member = make_user(api, org_id)
    replies = []
    threads = [threading.Thread(target=lambda: replies.append(api.call("POST", SYNC, member, {"items": [item("offline-1")]}))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes = sorted(r.body["results"][0]["outcome"] for r in replies)
    assert outcomes == ["created"] + ["existing"] * 5
    assert len({r.body["results"][0]["activity"]["id"] for r in replies}) == 1


def test_syncing_a_local_id_someone_else_wrote_is_a_conflict_for_that_item_only(api: Api, org_id: str):
    owner, colleague = make_user(api, org_id), make_user(api, org_id)
    theirs = api.call("POST", SYNC, owner, {"items": [item("offline-7", summary="private")]}).body["results"][0]["activity"]
    results = api.call("POST", SYNC, colleague, {"items": [item("offline-7", summary="mine"), item("offline-8")]}).body["results"]
    assert [(r["local_id"], r["outcome"]) for r in results] == [("offline-7", "rejected"), ("offline-8", "created")]
    error = results[0]["error"]
    assert (error["code"], error["status"], error["details"][0]["rule"], error["details"][0]["field"]) == ("conflict", 409, "local_id_unique_per_org", "items.0.local_id")
    assert "activity" not in results[0] and theirs["id"] not in str(results) and "private" not in str(results)
    assert [a["local_id"] for a in api.call("GET", "/api/activities", colleague).body["items"]] == ["offline-8"]
    again = api.call("POST", SYNC, owner, {"items": [item("offline-7")]}).body["results"][0]
    assert again["outcome"] == "existing" and again["activity"]["id"] == theirs["id"]


def test_sync_limits_and_local_id(api: Api, org_id: str):
    member = make_user(api, org_id)
    too_many = api.call("POST", SYNC, member, {"items": [item(f"x{n}") for n in range(26)]})
    assert too_many.status == 413 and too_many.error["code"] == "payload_too_large"
    assert api.call("POST", SYNC, member, {"items": []}).status == 400
    missing = api.call("POST", SYNC, member, {"items": [{"activity_date": "2026-11-02", "activity_type": "meeting"}, "not an object"]}).body["results"]
    assert missing[0]["outcome"] == "rejected" and missing[0]["error"]["details"][0]["rule"] == "local_id_required_for_sync"
    assert missing[1]["outcome"] == "rejected" and missing[1]["error"]["details"][0]["rule"] == "must_be_object"


def test_sync_applies_proxy_and_duplicate_rules_per_item(api: Api, org_id: str):
    member, colleague = make_user(api, org_id), make_user(api, org_id)
    kari = api.call("POST", "/api/contacts", member, {"name": "Kari"}).body["id"]
    reply = api.call("POST", SYNC, member, {"items": [
        item("p", user_id=colleague.sub),
        item("v1", activity_type="home_visit", contact_id=kari),
        item("v2", activity_type="home_visit", contact_id=kari),
    ]}).body["results"]  # fmt: skip
    assert reply[0]["outcome"] == "rejected" and reply[0]["error"]["status"] == 403
    assert reply[1]["outcome"] == "created"
    assert reply[2]["outcome"] == "rejected" and reply[2]["error"]["code"] == "duplicate_activity"


def test_bulk_registers_for_each_mentor_and_one_bad_id_does_not_sink_the_others(api: Api, org_id: str):
    coordinator = make_user(api, org_id, "coordinator")
    mentors = [make_user(api, org_id) for _ in range(3)]
    outsider = make_user(api, org_id + "-b")
    user_ids = [mentors[0].sub, "no-such-user", mentors[1].sub, outsider.sub, mentors[2].sub, mentors[0].sub]
    reply = api.call("POST", BULK, coordinator, {"user_ids": user_ids, "activity": {"activity_date": "2026-11-02", "activity_type": "group_activity", "is_group_activity": True, "participant_count": 4, "duration_minutes": 60}})
    assert reply.status == 201
    results = reply.body["results"]
    assert [(r["user_id"], r["outcome"]) for r in results] == [
        (mentors[0].sub, "created"), ("no-such-user", "rejected"), (mentors[1].sub, "created"),
        (outsider.sub, "rejected"), (mentors[2].sub, "created"), (mentors[0].sub, "rejected"),
    ]  # fmt: skip
    assert results[1]["error"]["code"] == "not_found" and results[3]["error"]["code"] == "not_found"
    for created in (r["activity"] for r in results if r["outcome"] == "created"):
        assert created["is_bulk_registration"] and created["is_proxy_registration"] and created["registered_by_user_id"] == coordinator.sub
    assert api.call("GET", "/api/activities", mentors[1]).body["items"][0]["is_bulk_registration"] is True


def test_bulk_rules(api: Api, org_id: str):
    member, coordinator = make_user(api, org_id), make_user(api, org_id, "coordinator")
    activity = {"activity_date": "2026-11-02", "activity_type": "meeting"}
    forbidden = api.call("POST", BULK, member, {"user_ids": [member.sub], "activity": activity})
    assert forbidden.status == 403 and forbidden.rules == ["proxy_registration_requires_coordinator_role"]
    assert api.call("POST", BULK, coordinator, {"user_ids": [f"u{n}" for n in range(51)], "activity": activity}).status == 413
    assert api.call("POST", BULK, coordinator, {"user_ids": [], "activity": activity}).status == 400
    bad = api.call("POST", BULK, coordinator, {"user_ids": [member.sub], "activity": {**activity, "duration_minutes": 0}})
    assert bad.status == 400 and bad.error["details"][0]["field"] == "activity.duration_minutes"
    assert api.call("POST", BULK, coordinator, {"user_ids": [member.sub], "activity": {**activity, "local_id": "x"}}).rules == ["unknown_field"]
