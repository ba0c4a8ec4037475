"""Activity rules end to end through the handlers, beside test_activities.py: defaults, validation,
Bufdir eligibility, proxy registration, the full transition table, concurrent PATCHes, racing
sync, duplicates by the local day, bulk registration."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import Api, Person, make_user


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def contact(api: Api, who: Person, name: str = "Kari") -> str:
    reply = api.call("POST", "/api/contacts", who, {"name": name})
    assert reply.status == 201, reply.body
    return reply.body["id"]


def create(api: Api, who: Person, **fields) -> dict:
    body = {"activity_date": ago(hours=2), "activity_type": "meeting", **fields}
    reply = api.call("POST", "/api/activities", who, body)
    assert reply.status == 201, reply.body
    return reply.body


def me(api: Api, who: Person) -> str:
    return api.call("GET", "/api/users/me", who).body["id"]


# ------------------------------------------------------------------ create
def test_create_with_all_defaults(api: Api, org_id: str):
    who = Person.new(org_id)
    body = create(api, who)
    assert body["duration_minutes"] == 30 and body["status"] == "under_review" and body["version"] == 1
    assert body["user_id"] == who.sub == body["registered_by_user_id"] and body["organization_id"] == org_id
    for flag in ("is_group_activity", "is_proxy_registration", "is_bulk_registration", "has_home_visit_report", "bufdir_excluded"):
        assert body[flag] is False
    assert body["bufdir_eligible"] is True and body["warnings"] == [] and body["deleted_at"] is None
    assert body["activity_date"].endswith("Z")
    assert api.call("GET", f"/api/activities/{body['id']}", who).body == {k: v for k, v in body.items() if k != "warnings"}


def test_plain_date_is_the_start_of_the_local_day(api: Api, org_id: str):
    who = Person.new(org_id)
    body = create(api, who, activity_date="2026-06-15")
    assert body["activity_date"] == "2026-06-14T22:00:00.000Z"  # Europe/Oslo, summer time
    from activity_tracker.repository import activities

    assert activities.get(org_id, body["id"]).local_date == "2026-06-15"
    assert create(api, who, activity_date=datetime.now(UTC).date().isoformat())["id"]  # today is never "future"


def test_every_activity_answer_carries_the_local_date_beside_the_instant(api: Api, org_id: str):
    """The day the user typed comes back as typed (`local_date`), whatever UTC day the instant falls
    on, in every answer: create, get, list, patch, review, sync, bulk, pull; a later change of the
    organization's time zone does not move it."""
    who, admin = Person.new(org_id), make_user(api, org_id, "admin")
    body = create(api, who, activity_date="2026-11-20")
    assert (body["activity_date"], body["local_date"]) == ("2026-11-19T23:00:00.000Z", "2026-11-20")
    assert create(api, who, activity_date="2026-11-19T23:30:00Z")["local_date"] == "2026-11-20"  # past midnight in Oslo
    assert api.call("GET", f"/api/activities/{body['id']}", who).body["local_date"] == "2026-11-20"
    listed = api.call("GET", "/api/activities?from=2026-11-20&to=2026-11-20", who).body["items"]
    assert [a["local_date"] for a in listed] == ["2026-11-20", "2026-11-20"]
    moved = api.call("PATCH", f"/api/activities/{body['id']}", who, {"activity_date": "2026-11-18"}).body
    assert (moved["activity_date"], moved["local_date"]) == ("2026-11-17T23:00:00.000Z", "2026-11-18")
    assert api.call("POST", f"/api/activities/{body['id']}/review", admin, {"action": "approve"}).body["local_date"] == "2026-11-18"
    synced = api.call("POST", "/api/activities/sync", who, {"items": [{"local_id": "typed-day", "activity_date": "2026-11-10", "activity_type": "other"}]}).body
    assert synced["results"][0]["activity"]["local_date"] == "2026-11-10"
    bulk = api.call("POST", "/api/activities/bulk", admin, {"user_ids": [who.sub], "activity": {"activity_date": "2026-11-11", "activity_type": "meeting"}}).body
    assert bulk["results"][0]["activity"]["local_date"] == "2026-11-11"
    pulled = api.call("GET", "/api/sync/pull?last_pulled_at=0", who).body["changes"]["activities"]["created"]
    assert {r["server_id"]: r["local_date"] for r in pulled}[body["id"]] == "2026-11-18"
    assert api.call("PATCH", "/api/organization", admin, {"timezone": "America/New_York"}).status == 200
    assert api.call("GET", f"/api/activities/{body['id']}", who).body["local_date"] == "2026-11-18"  # as stored


def test_future_within_skew_is_accepted_and_group_ok(api: Api, org_id: str):
    who = Person.new(org_id)
    assert create(api, who, activity_date=ago(minutes=-3))
    assert create(api, who, activity_type="group_activity", is_group_activity=True, participant_count=2, registration_mode="wizard", summary="ok")


def test_local_id_returns_the_existing_record_with_200(api: Api, org_id: str):
    who = Person.new(org_id)
    first = create(api, who, local_id="phone-1")
    again = api.call("POST", "/api/activities", who, {"activity_date": ago(hours=5), "activity_type": "other", "local_id": "phone-1"})
    assert again.status == 200 and again.body["id"] == first["id"] and again.body["activity_type"] == "meeting"


@pytest.mark.parametrize(
    ("org_patch", "fields", "eligible"),
    [
        ({}, {"activity_type": "phone_call"}, False),
        ({}, {"activity_type": "home_visit"}, True),
        ({"is_test_organization": True}, {"activity_type": "home_visit"}, False),
        ({}, {"activity_type": "group_activity", "is_group_activity": True, "participant_count": 2, "duration_minutes": 60}, False),
        ({}, {"activity_type": "group_activity", "is_group_activity": True, "participant_count": 3, "duration_minutes": 44}, False),
        ({}, {"activity_type": "group_activity", "is_group_activity": True, "participant_count": 3, "duration_minutes": 45}, True),
        ({}, {"activity_type": "course", "duration_minutes": 89}, False),
        ({}, {"activity_type": "course", "duration_minutes": 90}, True),
        ({"activity_type_categories": {"phone_call": "outreach"}}, {"activity_type": "phone_call"}, True),
    ],
)
def test_bufdir_eligible(api: Api, org_id: str, org_patch: dict, fields: dict, eligible: bool):
    admin = make_user(api, org_id, "admin")
    if org_patch:
        assert api.call("PATCH", "/api/organization", admin, org_patch).status == 200
    assert create(api, admin, **fields)["bufdir_eligible"] is eligible


# ------------------------------------------------------------------ proxy
def test_proxy_registration(api: Api, org_id: str):
    member, other, coordinator = Person.new(org_id), make_user(api, org_id), make_user(api, org_id, "coordinator")
    me(api, member)
    reply = api.call("POST", "/api/activities", member, {"activity_date": ago(hours=1), "activity_type": "meeting", "user_id": other.sub})
    assert (reply.status, reply.rules) == (403, ["proxy_registration_requires_coordinator_role"])
    body = create(api, coordinator, user_id=member.sub)
    assert body["is_proxy_registration"] is True and body["registered_by_user_id"] == coordinator.sub and body["user_id"] == member.sub
    assert create(api, member, user_id=member.sub)["is_proxy_registration"] is False
    stranger = Person.new(f"{org_id}-y")
    me(api, stranger)
    assert api.call("POST", "/api/activities", coordinator, {"activity_date": ago(hours=1), "activity_type": "meeting", "user_id": stranger.sub}).status == 404


# ------------------------------------------------------------------ get / patch / versions
def test_members_see_only_their_own_and_tenants_are_isolated(api: Api, org_id: str):
    a, b = Person.new(org_id), Person.new(org_id)
    act = create(api, a)
    assert api.call("GET", f"/api/activities/{act['id']}", b).status == 403
    assert api.call("PATCH", f"/api/activities/{act['id']}", b, {"summary": "x"}).status == 403
    outsider = make_user(api, f"{org_id}-z", "admin")
    for method, path, body in [("GET", "", None), ("PATCH", "", {"summary": "x"}), ("DELETE", "", None), ("POST", "/restore", None), ("POST", "/review", {"action": "approve"}), ("POST", "/home-visit-report", {"content": "x"})]:
        assert api.call(method, f"/api/activities/{act['id']}{path}", outsider, body).status == 404, (method, path)


def test_date_change_moves_the_index_keys(api: Api, org_id: str):
    who = Person.new(org_id)
    act = create(api, who, activity_date="2026-01-10T10:00:00Z")
    api.call("PATCH", f"/api/activities/{act['id']}", who, {"activity_date": "2026-01-20T10:00:00+01:00"})
    from activity_tracker.repository import activities

    item = activities.get(org_id, act["id"])
    assert item.activity_date == "2026-01-20T09:00:00.000Z"
    assert item.gsi1sk == item.gsi2sk == item.gsi4sk == f"2026-01-20T09:00:00.000Z#{act['id']}"


def test_concurrent_patches_one_wins(api: Api, org_id: str):
    who = make_user(api, org_id, "coordinator")
    act = create(api, who)
    replies = []
    barrier = threading.Barrier(8)

    def patch(n: int) -> None:
        barrier.wait()
        replies.append(api.call("PATCH", f"/api/activities/{act['id']}", who, {"summary": f"s{n}", "version": 1}))

    threads = [threading.Thread(target=patch, args=(n,)) for n in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    statuses = sorted(r.status for r in replies)
    assert statuses.count(200) == 1 and statuses.count(409) == 7
    assert all(r.error["code"] == "version_conflict" for r in replies if r.status == 409)
    assert api.call("GET", f"/api/activities/{act['id']}", who).body["version"] == 2


# ------------------------------------------------------------------ review
@pytest.mark.parametrize(
    ("path", "action", "ok"),
    [
        ([], "approve", True), ([], "flag", True), ([], "reject", True), ([], "reopen", False),
        (["flag"], "approve", True), (["flag"], "reject", True), (["flag"], "reopen", True), (["flag"], "flag", False),
        (["approve"], "reopen", True), (["approve"], "reject", False), (["approve"], "flag", False), (["approve"], "approve", False),
        (["reject"], "reopen", True), (["reject"], "approve", False), (["reject"], "flag", False), (["reject"], "reject", False),
    ],
)  # fmt: skip
def test_transition_table(api: Api, org_id: str, path: list, action: str, ok: bool):
    coordinator = make_user(api, org_id, "coordinator")
    act = create(api, make_user(api, org_id))
    for step in path:
        assert api.call("POST", f"/api/activities/{act['id']}/review", coordinator, {"action": step, **({"reason": "r"} if step in ("flag", "reject") else {})}).status == 200
    reply = api.call("POST", f"/api/activities/{act['id']}/review", coordinator, {"action": action, **({"reason": "why"} if action in ("flag", "reject") else {})})
    if ok:
        assert reply.status == 200 and reply.body["version"] == len(path) + 2
    else:
        assert (reply.status, reply.error["code"]) == (409, "invalid_transition")


def test_review_fields_reason_and_roles(api: Api, org_id: str):
    coordinator, member = make_user(api, org_id, "coordinator"), Person.new(org_id)
    act = create(api, member)
    assert api.call("POST", f"/api/activities/{act['id']}/review", member, {"action": "approve"}).status == 403
    for action in ("flag", "reject"):
        reply = api.call("POST", f"/api/activities/{act['id']}/review", coordinator, {"action": action})
        assert reply.status == 400 and reply.rules == ["review_fields_consistent"]
    body = api.call("POST", f"/api/activities/{act['id']}/review", coordinator, {"action": "reject", "reason": "wrong day"}).body
    assert body["status"] == "rejected" and body["rejection_reason"] == "wrong day" and body["reviewed_by_user_id"] == coordinator.sub and body["reviewed_at"]
    body = api.call("POST", f"/api/activities/{act['id']}/review", coordinator, {"action": "reopen"}).body
    assert body["status"] == "under_review" and body["reviewed_by_user_id"] is None and body["reviewed_at"] is None and body["rejection_reason"] is None
    body = api.call("POST", f"/api/activities/{act['id']}/review", coordinator, {"action": "approve"}).body
    assert body["status"] == "approved" and body["rejection_reason"] is None
    assert api.call("POST", f"/api/activities/{act['id']}/review", coordinator, {"action": "nope"}).rules == ["must_be_one_of"]


def test_lists_query_an_index_never_scan(api: Api, org_id: str):
    from tests.bench import count_calls

    who = make_user(api, org_id, "coordinator")
    create(api, who)
    for query in ("", "?status=approved", f"?user_id={who.sub}", "?contact_id=x", "?from=2026-01-01"):
        with count_calls() as counter:
            assert api.call("GET", f"/api/activities{query}", who).status == 200
        assert counter.calls["Query"] == 1 and counter.calls["Scan"] == 0, counter.describe()


# ------------------------------------------------------------------ duplicates
def test_hard_and_suspected_duplicates(api: Api, org_id: str):
    a, b = Person.new(org_id), Person.new(org_id)
    cid = contact(api, a)
    first = create(api, a, contact_id=cid, activity_type="home_visit", activity_date="2026-02-10T09:00:00Z")
    reply = api.call("POST", "/api/activities", a, {"contact_id": cid, "activity_type": "home_visit", "activity_date": "2026-02-10T20:00:00Z"})
    assert (reply.status, reply.error["code"]) == (409, "duplicate_activity") and reply.error["details"][0]["activity_id"] == first["id"]
    # other type, same day: only suspected; other user next day: suspected
    assert create(api, a, contact_id=cid, activity_type="meeting", activity_date="2026-02-10T12:00:00Z")["warnings"] == [{"code": "suspected_duplicate", "activity_id": first["id"]}]
    body = create(api, b, contact_id=cid, activity_type="home_visit", activity_date="2026-02-11T08:00:00Z")
    assert {"code": "suspected_duplicate", "activity_id": first["id"]} in body["warnings"]
    assert create(api, a, contact_id=cid, activity_type="home_visit", activity_date="2026-02-13T09:00:00Z")["warnings"] == []
    # deleted ones are no duplicates; no contact, no duplicates
    api.call("DELETE", f"/api/activities/{first['id']}", a)
    assert create(api, a, contact_id=cid, activity_type="home_visit", activity_date="2026-02-10T10:00:00Z")
    create(api, a, activity_type="meeting", activity_date="2026-02-10T10:00:00Z")
    assert create(api, a, activity_type="meeting", activity_date="2026-02-10T10:00:00Z")["warnings"] == []


def test_hard_duplicate_uses_the_organization_local_day(api: Api, org_id: str):
    a = Person.new(org_id)
    cid = contact(api, a)
    create(api, a, contact_id=cid, activity_type="home_visit", activity_date="2026-02-10T22:30:00Z")  # 23:30 in Oslo, 10 Feb
    reply = api.call("POST", "/api/activities", a, {"contact_id": cid, "activity_type": "home_visit", "activity_date": "2026-02-10T23:30:00Z"})  # 00:30, 11 Feb
    assert reply.status == 201 and reply.body["warnings"]
    reply = api.call("POST", "/api/activities", a, {"contact_id": cid, "activity_type": "home_visit", "activity_date": "2026-02-09T23:10:00Z"})  # 00:10, 10 Feb
    assert reply.status == 409


# ------------------------------------------------------------------ sync
def test_sync_outcomes_and_replay(api: Api, org_id: str):
    who = Person.new(org_id)
    existing = create(api, who, local_id="L0")
    items = [{"local_id": f"L{i}", "activity_date": ago(hours=i + 1), "activity_type": "meeting"} for i in range(4)]
    items.append({"local_id": "bad", "activity_date": ago(hours=1), "activity_type": "party"})
    items.append({"activity_date": ago(hours=1), "activity_type": "meeting"})
    first = api.call("POST", "/api/activities/sync", who, {"items": items})
    assert first.status == 200
    outcomes = [r["outcome"] for r in first.body["results"]]
    assert outcomes == ["existing", "created", "created", "created", "rejected", "rejected"]
    assert first.body["results"][0]["activity"]["id"] == existing["id"]
    assert "activity_type_valid_enum" in [d["rule"] for d in first.body["results"][4]["error"]["details"]]
    assert first.body["results"][5]["error"]["details"][0]["field"] == "items.5.local_id"
    for _ in range(3):
        again = api.call("POST", "/api/activities/sync", who, {"items": items[:4]}).body["results"]
        assert [r["outcome"] for r in again] == ["existing"] * 4
        assert [r["activity"] for r in again] == [r["activity"] for r in first.body["results"][:4]] or [r["activity"]["id"] for r in again] == [r["activity"]["id"] for r in first.body["results"][:4]]
    assert len(api.call("GET", "/api/activities", who).body["items"]) == 4


def test_sync_limits(api: Api, org_id: str):
    who = Person.new(org_id)
    items = [{"local_id": f"x{i}", "activity_date": ago(hours=1), "activity_type": "meeting"} for i in range(26)]
    assert api.call("POST", "/api/activities/sync", who, {"items": items}).status == 413
    assert api.call("POST", "/api/activities/sync", who, {"items": []}).status == 400
    assert [r["outcome"] for r in api.call("POST", "/api/activities/sync", who, {"items": items[:25]}).body["results"]] == ["created"] * 25


def test_racing_clients_with_one_local_id_end_with_one_record(api: Api, org_id: str):
    who = Person.new(org_id)
    me(api, who)
    replies = []
    barrier = threading.Barrier(6)

    def sync() -> None:
        barrier.wait()
        replies.append(api.call("POST", "/api/activities/sync", who, {"items": [{"local_id": "race", "activity_date": ago(hours=1), "activity_type": "meeting"}]}))

    threads = [threading.Thread(target=sync) for _ in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    results = [r.body["results"][0] for r in replies]
    assert sorted(r["outcome"] for r in results) == ["created"] + ["existing"] * 5
    assert len({r["activity"]["id"] for r in results}) == 1
    assert len(api.call("GET", "/api/activities", who).body["items"]) == 1


# ------------------------------------------------------------------ bulk
def test_bulk_registration(api: Api, org_id: str):
    coordinator, m1, m2 = make_user(api, org_id, "coordinator"), make_user(api, org_id), make_user(api, org_id)
    reply = api.call("POST", "/api/activities/bulk", coordinator, {"user_ids": [m1.sub, "ghost", m2.sub], "activity": {"activity_date": ago(hours=1), "activity_type": "course", "duration_minutes": 120}})
    assert reply.status == 201
    results = reply.body["results"]
    assert [r["outcome"] for r in results] == ["created", "rejected", "created"]
    assert results[1]["error"]["code"] == "not_found"
    for r in (results[0], results[2]):
        a = r["activity"]
        assert a["is_bulk_registration"] and a["is_proxy_registration"] and a["registered_by_user_id"] == coordinator.sub and a["user_id"] == r["user_id"]
    assert api.call("POST", "/api/activities/bulk", m1, {"user_ids": [m2.sub], "activity": {"activity_date": ago(hours=1), "activity_type": "meeting"}}).status == 403
    assert api.call("POST", "/api/activities/bulk", coordinator, {"user_ids": [m1.sub] * 51, "activity": {"activity_date": ago(hours=1), "activity_type": "meeting"}}).status == 413
    assert api.call("POST", "/api/activities/bulk", coordinator, {"user_ids": [], "activity": {"activity_date": ago(hours=1), "activity_type": "meeting"}}).status == 400
    bad = api.call("POST", "/api/activities/bulk", coordinator, {"user_ids": [m1.sub], "activity": {"activity_date": ago(hours=1), "activity_type": "meeting", "local_id": "x"}})
    assert bad.status == 400 and bad.rules == ["unknown_field"]
