"""GET /api/sync/pull (WatermelonDB's sync protocol): what a mentor's device holds, as changes since its last pull."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Api, Person, make_user


def pull(api: Api, who: Person, since: int = 0) -> dict[str, Any]:
    """Every page of one pull, merged as a client does; each page carries the same timestamp."""
    cursor, merged, stamps = None, {t: {"created": [], "updated": [], "deleted": []} for t in ("activities", "contacts", "user_progress")}, set()
    while True:
        reply = api.call("GET", f"/api/sync/pull?last_pulled_at={since}&schema_version=1" + (f"&cursor={cursor}" if cursor else ""), who)
        assert reply.status == 200, reply.body
        for table, changes in reply.body["changes"].items():
            for kind in ("created", "updated", "deleted"):
                merged[table][kind] += changes[kind]
        stamps.add(reply.body["timestamp"])
        if not reply.body["has_more"]:
            assert len(stamps) == 1
            return {"changes": merged, "timestamp": reply.body["timestamp"]}
        cursor = reply.body["cursor"]


def ids(answer: dict[str, Any], table: str, kind: str = "updated") -> list[str]:
    return sorted(r if isinstance(r, str) else r["id"] for r in answer["changes"][table][kind])


def activity(api: Api, who: Person, **fields: Any) -> dict[str, Any]:
    reply = api.call("POST", "/api/activities", who, {"activity_date": "2026-11-02", "activity_type": "meeting", **fields})
    assert reply.status == 201, reply.body
    return reply.body


def test_a_first_pull_holds_the_mentors_records_with_their_device_ids(api: Api, org_id: str):
    mentor, colleague, coordinator = make_user(api, org_id), make_user(api, org_id), make_user(api, org_id, "coordinator")
    mine = activity(api, mentor, local_id="phone-1")
    for_me = activity(api, coordinator, user_id=mentor.sub, activity_type="phone_call")
    activity(api, colleague, local_id="phone-2")
    kari = api.call("POST", "/api/contacts", colleague, {"name": "Kari"}).body
    api.call("POST", "/api/contacts", make_user(api, org_id + "-b"), {"name": "Elsewhere"})
    api.call("POST", "/api/user_progress", mentor, {"data": {"progress_type": "sign_learned", "item_id": "hei"}})
    first = pull(api, mentor)
    assert ids(first, "activities", "created") == sorted(["phone-1", for_me["id"]])
    by_id = {r["id"]: r for r in first["changes"]["activities"]["created"]}
    mine.pop("warnings")
    assert by_id["phone-1"] == {**mine, "id": "phone-1", "server_id": mine["id"]} and by_id[for_me["id"]]["server_id"] == for_me["id"]
    assert ids(first, "contacts", "created") == [kari["id"]]
    assert [r["item_id"] for r in first["changes"]["user_progress"]["created"]] == ["hei"]
    assert all(not changes["updated"] and not changes["deleted"] for changes in first["changes"].values())


def test_a_later_pull_holds_only_what_changed_since_with_deletions(api: Api, org_id: str):
    mentor = make_user(api, org_id)
    kept, gone = activity(api, mentor, local_id="a"), activity(api, mentor, local_id="b", activity_type="phone_call")
    api.call("POST", "/api/user_progress", mentor, {"data": {"progress_type": "sign_learned", "item_id": "hei"}})
    first = pull(api, mentor)
    progress_id = first["changes"]["user_progress"]["created"][0]["id"]
    assert api.call("DELETE", f"/api/activities/{gone['id']}", mentor).status == 204
    assert api.call("DELETE", "/api/user_progress/by-item?progress_type=sign_learned&item_id=hei", mentor).body == {"deletedCount": 1}
    later = pull(api, mentor, first["timestamp"])
    assert ids(later, "activities", "deleted") == ["b"] and ids(later, "user_progress", "deleted") == [progress_id]
    assert "b" not in ids(later, "activities") and all(not c["created"] for c in later["changes"].values())
    # records of the safety window come again: the device upserts them
    assert set(ids(later, "activities")) <= {"a"} and kept["id"]
    assert not pull(api, mentor)["changes"]["user_progress"]["created"] and ids(pull(api, mentor), "activities", "created") == ["a"]


def test_a_write_stamped_before_a_pull_but_committed_after_it_reaches_the_next_pull(api: Api, org_id: str, monkeypatch):
    """The adversarial schedule: pull 2 starts at P and reads; then a write commits whose change
    time (its Lambda's clock, skewed or slow) is P - 59 s, earlier than pull 2 started. Pull 2
    cannot have seen it; pull 3, from pull 2's timestamp, must. With no safety window it is lost."""
    from activity_tracker.clock import iso
    from activity_tracker.logic import sync
    from activity_tracker.repository import activities
    from activity_tracker.repository.table import connection

    def schedule(window_ms: int, local_id: str) -> bool:
        mentor = make_user(api, org_id)
        activity(api, mentor, local_id=f"{local_id}-seen")
        start = sync.now_ms()
        with monkeypatch.context() as patch:
            patch.setattr(sync, "SAFETY_WINDOW_MS", window_ms)
            patch.setattr(sync, "now_ms", lambda: start)
            first = pull(api, mentor)
            client, query, done = connection().client, connection().client.query, []

            def query_then_write(**kwargs: Any) -> Any:
                answer = query(**kwargs)
                if kwargs.get("IndexName") == "gsi5" and not done:  # the pull has read: now the late write commits
                    done.append(True)
                    with monkeypatch.context() as late:
                        late.setattr(activities, "now_iso", lambda: iso(__import__("datetime").datetime.fromtimestamp((start - 59_000) / 1000, __import__("datetime").UTC)))
                        late.setattr(client, "query", query)
                        activity(api, mentor, local_id=local_id, activity_type="phone_call")
                return answer

            patch.setattr(client, "query", query_then_write)
            second = pull(api, mentor, first["timestamp"])
        assert local_id not in ids(second, "activities")  # committed after pull 2 read
        third = pull(api, mentor, second["timestamp"])
        return local_id in ids(third, "activities")

    assert schedule(sync.SAFETY_WINDOW_MS, "late") is True
    assert schedule(0, "late-no-window") is False  # the window is what saves it


def test_pages_are_bounded_and_continue_with_the_cursor(api: Api, org_id: str, monkeypatch):
    from activity_tracker.logic import sync

    mentor = make_user(api, org_id)
    for n in range(4):
        activity(api, mentor, local_id=f"p{n}", activity_date=f"2026-10-0{n + 1}")
    for name in ("A", "B", "C"):
        api.call("POST", "/api/contacts", mentor, {"name": name})
    monkeypatch.setattr(sync, "PAGE_RECORDS", 3)
    page = api.call("GET", "/api/sync/pull?last_pulled_at=0", mentor).body
    assert page["has_more"] is True and sum(len(c["created"]) for c in page["changes"].values()) == 3
    whole = pull(api, mentor)
    assert ids(whole, "activities", "created") == ["p0", "p1", "p2", "p3"] and len(whole["changes"]["contacts"]["created"]) == 3


def test_a_cursor_of_another_pull_or_partition_is_400(api: Api, org_id: str, monkeypatch):
    from activity_tracker.logic import sync

    mentor, other = make_user(api, org_id), make_user(api, org_id)
    for n in range(3):
        activity(api, mentor, local_id=f"c{n}", activity_date=f"2026-10-0{n + 1}")
    monkeypatch.setattr(sync, "PAGE_RECORDS", 1)
    cursor = api.call("GET", "/api/sync/pull", mentor).body["cursor"]
    assert api.call("GET", f"/api/sync/pull?cursor={cursor}", other).rules == ["cursor_invalid"]
    assert api.call("GET", f"/api/sync/pull?cursor={cursor}&last_pulled_at={sync.now_ms()}", mentor).rules == ["cursor_invalid"]
    assert api.call("GET", "/api/sync/pull?cursor=e30", mentor).rules == ["cursor_invalid"]


def test_a_device_older_than_the_tombstones_must_resync(api: Api, org_id: str):
    from activity_tracker.logic import sync

    mentor = make_user(api, org_id)
    stale = sync.now_ms() - sync.TOMBSTONE_MS - 1000
    reply = api.call("GET", f"/api/sync/pull?last_pulled_at={stale}", mentor)
    assert reply.status == 409 and reply.error["code"] == "resync_required"
    assert api.call("GET", f"/api/sync/pull?last_pulled_at={stale + 60_000}", mentor).status == 200


@pytest.mark.parametrize("query", ["last_pulled_at=-1", "last_pulled_at=x", "last_pulled_at=253402300800000", "last_pulled_at=1" + "0" * 39, "schema_version=2", "schema_version=0"])
def test_bad_pull_parameters_are_400(api: Api, org_id: str, query: str):
    assert api.call("GET", f"/api/sync/pull?{query}", make_user(api, org_id)).status == 400


# ---------------------------------------------------------------- push
def push(api: Api, who: Person, changes: dict[str, Any], since: int) -> Any:
    return api.call("POST", f"/api/sync/push?last_pulled_at={since}", who, {"changes": changes})


def test_a_push_creates_updates_and_deletes_and_a_replay_changes_nothing(api: Api, org_id: str):
    mentor = make_user(api, org_id)
    changes = {
        "activities": {"created": [{"id": "wm-a", "activity_date": "2026-11-02", "activity_type": "meeting", "status": "under_review", "_status": "created"}], "updated": [], "deleted": []},
        "contacts": {"created": [{"id": "wm-kari", "name": "Kari", "_status": "created"}], "updated": [], "deleted": []},
    }
    first = push(api, mentor, changes, 0)
    assert first.status == 200 and first.body == {"activities": {"created": 1, "updated": 0, "deleted": 0}, "contacts": {"created": 1, "updated": 0, "deleted": 0}}
    assert push(api, mentor, changes, 0).body["activities"]["created"] == 0  # the same push again: nothing more
    pulled = pull(api, mentor)
    record = next(r for r in pulled["changes"]["activities"]["created"] if r["id"] == "wm-a")
    assert [c["id"] for c in pulled["changes"]["contacts"]["created"]] == ["wm-kari"]
    edit = {"activities": {"created": [], "updated": [{**record, "summary": "tea", "contact_id": "wm-kari"}], "deleted": []}}
    assert push(api, mentor, edit, pulled["timestamp"]).body["activities"]["updated"] == 1
    assert push(api, mentor, edit, pulled["timestamp"]).body["activities"]["updated"] == 0  # replay: holds it already
    stored = api.call("GET", f"/api/activities/{record['server_id']}", mentor).body
    assert stored["summary"] == "tea" and stored["version"] == 2
    gone = {"activities": {"created": [], "updated": [], "deleted": ["wm-a"]}}
    before = pull(api, mentor)["timestamp"] - 1  # a deletion carries no version: by change time, after that pull started
    assert push(api, mentor, gone, before - 60_000).rules == ["changed_since_last_pull"]
    assert push(api, mentor, gone, before).body["activities"]["deleted"] == 1
    assert push(api, mentor, gone, 0).body["activities"]["deleted"] == 0
    assert api.call("GET", f"/api/activities/{record['server_id']}", mentor).status == 404


def test_a_record_changed_on_the_server_since_the_last_pull_fails_the_push(api: Api, org_id: str):
    mentor = make_user(api, org_id)
    made = activity(api, mentor, local_id="wm-b")
    pulled = pull(api, mentor)
    record = pulled["changes"]["activities"]["created"][0]
    assert api.call("PATCH", f"/api/activities/{made['id']}", mentor, {"summary": "from the web"}).status == 200
    stale = push(api, mentor, {"activities": {"created": [], "updated": [{**record, "summary": "from the phone"}], "deleted": []}}, pulled["timestamp"])
    assert stale.status == 409 and stale.rules == ["changed_since_last_pull"]
    without_version = {k: v for k, v in record.items() if k != "version"} | {"summary": "from the phone"}
    assert push(api, mentor, {"activities": {"created": [], "updated": [without_version], "deleted": []}}, pulled["timestamp"] - 120_000).status == 409
    fresh = pull(api, mentor)["changes"]["activities"]["created"][0]
    assert push(api, mentor, {"activities": {"created": [], "updated": [{**fresh, "summary": "from the phone"}], "deleted": []}}, pulled["timestamp"]).status == 200


def test_a_push_obeys_the_rest_rules(api: Api, org_id: str):
    mentor, admin = make_user(api, org_id), make_user(api, org_id, "admin")
    kari = api.call("POST", "/api/contacts", mentor, {"name": "Kari"}).body["id"]
    first = activity(api, mentor, local_id="wm-c", activity_type="home_visit", contact_id=kari)
    twin = {"activities": {"created": [{"id": "wm-d", "activity_date": "2026-11-02", "activity_type": "home_visit", "contact_id": kari}], "updated": [], "deleted": []}}
    duplicate = push(api, mentor, twin, 0)
    assert duplicate.status == 409 and duplicate.error["code"] == "duplicate_activity" and duplicate.rules == ["duplicate_activity"]
    bad = {"activities": {"created": [{"id": "wm-e", "activity_date": "2026-11-02", "activity_type": "meeting", "duration_minutes": -5}], "updated": [], "deleted": []}}
    assert push(api, mentor, bad, 0).rules == ["duration_positive_integer"]
    assert api.call("POST", f"/api/activities/{first['id']}/review", admin, {"action": "approve"}).status == 200
    record = pull(api, mentor)["changes"]["activities"]["created"][0]
    locked = push(api, mentor, {"activities": {"created": [], "updated": [{**record, "summary": "late"}], "deleted": []}}, 0)
    assert locked.status == 403
    colleague = make_user(api, org_id)
    assert push(api, colleague, {"activities": {"created": [], "updated": [], "deleted": ["wm-c"]}}, 0).status == 403
    assert push(api, mentor, {"user_progress": {"created": [{"id": "p", "progress_type": "sign_learned", "item_id": "a"}], "updated": [], "deleted": []}}, 0).rules == ["sync_change_not_supported"]
    assert push(api, mentor, {"tasks": {"created": []}}, 0).rules == ["sync_table_unknown"]


def test_contact_edits_and_deletions_reach_devices_and_come_from_them(api: Api, org_id: str):
    mentor, colleague, coordinator = make_user(api, org_id), make_user(api, org_id), make_user(api, org_id, "coordinator")
    kari = api.call("POST", "/api/contacts", mentor, {"name": "Kari"}).body
    ola = api.call("POST", "/api/contacts", coordinator, {"name": "Ola"}).body
    first = pull(api, colleague)
    assert api.call("PATCH", f"/api/contacts/{kari['id']}", mentor, {"notes": "mornings"}).status == 200
    assert api.call("DELETE", f"/api/contacts/{ola['id']}", coordinator).status == 204
    since = pull(api, colleague, first["timestamp"])
    assert [(c["id"], c["notes"], c["version"]) for c in since["changes"]["contacts"]["updated"]] == [(kari["id"], "mornings", 2)]
    assert since["changes"]["contacts"]["deleted"] == [ola["id"]]
    assert ola["id"] not in ids(pull(api, colleague), "contacts", "created")  # a first pull holds no deleted contact

    record = next(c for c in since["changes"]["contacts"]["updated"] if c["id"] == kari["id"])
    edit = {"contacts": {"created": [], "updated": [{**record, "name": "Kari N"}], "deleted": []}}
    assert push(api, colleague, edit, since["timestamp"]).status == 403  # not theirs, not a coordinator
    assert push(api, mentor, edit, since["timestamp"]).body["contacts"] == {"created": 0, "updated": 1, "deleted": 0}
    assert push(api, mentor, edit, since["timestamp"]).body["contacts"]["updated"] == 0  # a replay: the server holds it already
    stale = {"contacts": {"created": [], "updated": [{**record, "name": "Someone"}], "deleted": []}}  # version 2, the server is at 3
    assert push(api, coordinator, stale, since["timestamp"]).rules == ["changed_since_last_pull"]
    assert api.call("GET", f"/api/contacts/{kari['id']}", mentor).body["name"] == "Kari N"

    gone = {"contacts": {"created": [], "updated": [], "deleted": [kari["id"]]}}
    late = pull(api, coordinator)["timestamp"]
    assert push(api, coordinator, gone, late).body["contacts"]["deleted"] == 1
    assert push(api, coordinator, gone, late).body["contacts"]["deleted"] == 0  # replay
    assert api.call("GET", f"/api/contacts/{kari['id']}", mentor).status == 404
    refused = push(api, mentor, {"activities": {"created": [{"id": "wm-k", "activity_date": "2026-11-02", "activity_type": "meeting", "contact_id": kari["id"]}], "updated": [], "deleted": []}}, late)
    assert refused.status == 400 and refused.rules == ["contact_not_deleted"]


def test_a_push_creates_a_contact_before_the_activities_that_name_it(api: Api, org_id: str):
    mentor = make_user(api, org_id)
    changes = {
        "activities": {"created": [{"id": "wm-on-ola", "activity_date": "2026-11-02", "activity_type": "meeting", "contact_id": "wm-ola"}], "updated": [], "deleted": []},
        "contacts": {"created": [{"id": "wm-ola", "name": "Ola"}], "updated": [], "deleted": []},
    }
    assert push(api, mentor, changes, 0).status == 200
    assert [a["contact_id"] for a in pull(api, mentor)["changes"]["activities"]["created"]] == ["wm-ola"]


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"activities": {"created": ["wm-x"]}}, "sync_record_shape"),
        ({"contacts": {"created": [7]}}, "sync_record_shape"),
        ({"activities": {"deleted": [{"id": "wm-x"}]}}, "id_format"),
        ({"activities": {"updated": [{"id": "a#b"}]}}, "id_format"),
        ({"activities": []}, "sync_changes_shape"),
    ],
)
def test_a_malformed_push_is_400(api: Api, org_id: str, changes: dict[str, Any], rule: str):
    reply = push(api, make_user(api, org_id), changes, 0)
    assert reply.status == 400 and reply.rules == [rule]
