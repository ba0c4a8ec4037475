"""/api/activities: create, validation rules, proxy, list, edit with versions, review, delete/restore,
home-visit reports, duplicates and tenant isolation, through the real handlers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import Api, Person, make_user, record_aws_calls

URL = "/api/activities"
DAY = "2026-11-02"


@pytest.fixture
def admin(api: Api, org_id: str) -> Person:
    return make_user(api, org_id, "admin")


def contact(api: Api, who: Person, name: str = "Kari") -> str:
    return api.call("POST", "/api/contacts", who, {"name": name}).body["id"]


def create(api: Api, who: Person, **fields):
    body = {"activity_date": DAY, "activity_type": "meeting", **fields}
    return api.call("POST", URL, who, body)


# ---------------------------------------------------------------- create and defaults
def test_create_applies_the_defaults(api: Api, member: Person, org_id: str):
    reply = create(api, member)
    assert reply.status == 201
    body = reply.body
    assert (body["duration_minutes"], body["status"], body["version"], body["warnings"]) == (30, "under_review", 1, [])
    assert body["user_id"] == body["registered_by_user_id"] == member.sub and body["organization_id"] == org_id
    for flag in ("is_group_activity", "is_proxy_registration", "is_bulk_registration", "has_home_visit_report", "bufdir_excluded"):
        assert body[flag] is False, flag
    assert body["deleted_at"] is None and body["created_at"].endswith("Z")


def test_a_plain_date_is_that_day_in_the_organization_time_zone(api: Api, member: Person):
    assert create(api, member).body["activity_date"] == "2026-11-01T23:00:00.000Z"  # Europe/Oslo, UTC+1 in November
    assert create(api, member, activity_date="2026-11-03T10:15:00+01:00").body["activity_date"] == "2026-11-03T09:15:00.000Z"


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"duration_minutes": 0}, "duration_positive_integer"),
        ({"duration_minutes": -5}, "duration_positive_integer"),
        ({"duration_minutes": 12.5}, "duration_positive_integer"),
        ({"duration_minutes": "30"}, "duration_positive_integer"),
        ({"duration_minutes": True}, "duration_positive_integer"),
        ({"duration_minutes": None}, "duration_positive_integer"),
        ({"is_group_activity": True}, "group_activity_requires_participant_count"),
        ({"is_group_activity": True, "participant_count": 1}, "group_activity_requires_participant_count"),
        ({"participant_count": 4}, "group_activity_requires_participant_count"),
        ({"registration_mode": "wizard"}, "summary_required_for_wizard_registration"),
        ({"registration_mode": "wizard", "summary": "   "}, "summary_required_for_wizard_registration"),
        ({"activity_type": "party"}, "activity_type_valid_enum"),
        ({"activity_type": None}, "activity_type_valid_enum"),
        ({"activity_date": "2026-13-45"}, "activity_date_valid"),
        ({"status": "approved"}, "review_fields_consistent"),
        ({"reviewed_by_user_id": "x"}, "review_fields_consistent"),
        ({"rejection_reason": "x"}, "review_fields_consistent"),
        ({"bufdir_eligible": True}, "server_owned_field"),
        ({"version": 3}, "unknown_field"),
        ({"colour": "red"}, "unknown_field"),
        ({"registration_mode": "slow"}, "must_be_one_of"),
        ({"contact_id": "c#ACT"}, "id_format"),
        ({"user_id": "u#ACT"}, "id_format"),
        ({"contact_id": "x" * 129}, "id_format"),
    ],
)
def test_create_validation_rules(api: Api, member: Person, fields, rule):
    reply = create(api, member, **fields)
    assert reply.status == 400 and reply.error["code"] == "validation_error"
    assert rule in reply.rules


def test_group_and_wizard_rules_accept_valid_activities(api: Api, member: Person):
    assert create(api, member, is_group_activity=True, participant_count=2).status == 201
    assert create(api, member, registration_mode="wizard", summary="We talked").status == 201


def test_activity_date_not_in_future_allows_five_minutes_of_skew(api: Api, member: Person):
    soon = (datetime.now(UTC) + timedelta(minutes=3)).isoformat()
    later = (datetime.now(UTC) + timedelta(minutes=7)).isoformat()
    assert create(api, member, activity_date=soon).status == 201
    reply = create(api, member, activity_date=later)
    assert reply.status == 400 and reply.rules == ["activity_date_not_in_future"]


def test_contact_must_exist_in_the_same_organization(api: Api, member: Person, org_id: str):
    elsewhere = contact(api, make_user(api, org_id + "-b"))
    reply = create(api, member, contact_id=elsewhere)
    assert reply.status == 400 and reply.rules == ["contact_id_exists_in_organization"]
    assert create(api, member, contact_id=contact(api, member)).status == 201


# ---------------------------------------------------------------- bufdir_eligible
@pytest.mark.parametrize(
    ("fields", "eligible"),
    [
        ({"activity_type": "home_visit"}, True),
        ({"activity_type": "phone_call"}, False),
        ({"activity_type": "other"}, False),
        ({"activity_type": "group_activity", "is_group_activity": True, "participant_count": 3, "duration_minutes": 45}, True),
        ({"activity_type": "group_activity", "is_group_activity": True, "participant_count": 2, "duration_minutes": 60}, False),
        ({"activity_type": "group_activity", "is_group_activity": True, "participant_count": 5, "duration_minutes": 44}, False),
        ({"activity_type": "course", "duration_minutes": 90}, True),
        ({"activity_type": "course", "duration_minutes": 89}, False),
    ],
)
def test_bufdir_eligible_is_computed_by_the_server(api: Api, member: Person, fields, eligible: bool):
    assert create(api, member, **fields).body["bufdir_eligible"] is eligible


def test_bufdir_eligible_follows_the_organization_and_admin_exclusion(api: Api, member: Person, admin: Person, coordinator: Person):
    created = create(api, member, activity_type="home_visit").body
    excluded = api.call("PATCH", f"{URL}/{created['id']}", admin, {"bufdir_excluded": True}).body
    assert (excluded["bufdir_excluded"], excluded["bufdir_eligible"]) == (True, False)
    assert api.call("PATCH", f"{URL}/{created['id']}", coordinator, {"bufdir_excluded": False}).status == 403
    api.call("PATCH", "/api/organization", admin, {"is_test_organization": True})
    assert create(api, member, activity_type="home_visit", activity_date="2026-11-05").body["bufdir_eligible"] is False


def test_edits_recompute_bufdir_eligible(api: Api, member: Person):
    created = create(api, member, activity_type="course", duration_minutes=60).body
    assert created["bufdir_eligible"] is False
    assert api.call("PATCH", f"{URL}/{created['id']}", member, {"duration_minutes": 120}).body["bufdir_eligible"] is True


# ---------------------------------------------------------------- proxy registration
def test_proxy_registration_by_a_coordinator(api: Api, member: Person, coordinator: Person):
    body = create(api, coordinator, user_id=member.sub).body
    assert (body["user_id"], body["registered_by_user_id"], body["is_proxy_registration"]) == (member.sub, coordinator.sub, True)


def test_proxy_registration_requires_coordinator_role(api: Api, member: Person, org_id: str):
    colleague = make_user(api, org_id)
    reply = create(api, member, user_id=colleague.sub)
    assert reply.status == 403 and reply.rules == ["proxy_registration_requires_coordinator_role"]
    assert create(api, member, user_id=member.sub).status == 201  # naming oneself is fine


def test_proxy_for_someone_outside_the_organization_is_404(api: Api, coordinator: Person, org_id: str):
    stranger = make_user(api, org_id + "-b")
    assert create(api, coordinator, user_id=stranger.sub).status == 404


# ---------------------------------------------------------------- local_id
def test_a_known_local_id_returns_the_existing_record_with_200(api: Api, member: Person):
    first = create(api, member, local_id="phone-1")
    again = create(api, member, local_id="phone-1", activity_type="phone_call", duration_minutes=99)
    assert (first.status, again.status) == (201, 200)
    assert {**again.body, "warnings": []} == {**first.body, "warnings": []}


def test_local_id_is_unique_per_organization_not_globally(api: Api, member: Person, org_id: str):
    mine = create(api, member, local_id="shared-id").body
    theirs = create(api, make_user(api, org_id + "-b"), local_id="shared-id")
    assert theirs.status == 201 and theirs.body["id"] != mine["id"]


def test_a_local_id_someone_else_wrote_is_409_and_reveals_nothing_of_their_record(api: Api, member: Person, coordinator: Person, admin: Person, org_id: str):
    theirs = create(api, member, local_id="phone-1", summary="private note about Kari").body
    colleague = make_user(api, org_id)
    for who in (colleague, coordinator, admin):  # a coordinator may read it, but did not write it
        reply = create(api, who, local_id="phone-1", summary="mine")
        assert reply.status == 409 and reply.error["code"] == "conflict" and reply.rules == ["local_id_unique_per_org"]
        assert theirs["id"] not in str(reply.body) and "Kari" not in str(reply.body)
    assert api.call("GET", URL, colleague).body["items"] == []
    assert [a["id"] for a in api.call("GET", URL, coordinator).body["items"]] == [theirs["id"]]


def test_a_local_id_replays_for_its_owner_and_for_the_coordinator_who_registered_it(api: Api, member: Person, coordinator: Person, org_id: str):
    from activity_tracker.repository import users

    proxy = create(api, coordinator, user_id=member.sub, local_id="tablet-1").body
    assert create(api, coordinator, local_id="tablet-1").status == 200  # the coordinator replaying their own write
    assert create(api, member, local_id="tablet-1").body["id"] == proxy["id"]  # the owner
    users.update_fields(users.get(org_id, coordinator.sub), {"role": "member"}, actor="tests")  # wrote it, may no longer read it
    demoted = create(api, coordinator, local_id="tablet-1")
    assert demoted.status == 409 and proxy["id"] not in str(demoted.body)


def test_a_local_id_taken_between_the_check_and_the_write_is_409_for_someone_else(api: Api, member: Person, org_id: str, monkeypatch):
    from activity_tracker.logic import activities

    theirs = create(api, member, local_id="phone-2").body
    seen = activities._prefetch

    def too_early(org: str, contact_id, local_id, *known):  # the guard was written just after this read
        return (*seen(org, contact_id, local_id, *known)[:2], None)

    monkeypatch.setattr(activities, "_prefetch", too_early)
    colleague = make_user(api, org_id)
    reply = create(api, colleague, local_id="phone-2")
    assert reply.status == 409 and reply.rules == ["local_id_unique_per_org"] and theirs["id"] not in str(reply.body)
    assert create(api, member, local_id="phone-2").body["id"] == theirs["id"]


def test_racing_creates_with_one_local_id_end_with_one_record(api: Api, member: Person):
    replies = []
    threads = [threading.Thread(target=lambda: replies.append(create(api, member, local_id="race"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status for r in replies) == [200] * 7 + [201]
    assert len({r.body["id"] for r in replies}) == 1
    assert len(api.call("GET", URL, member).body["items"]) == 1


# ---------------------------------------------------------------- duplicates
def test_hard_duplicate_is_409_with_the_existing_id(api: Api, member: Person):
    kari = contact(api, member)
    first = create(api, member, activity_type="home_visit", contact_id=kari, activity_date="2026-11-02T09:00:00Z").body
    reply = create(api, member, activity_type="home_visit", contact_id=kari, activity_date="2026-11-02T20:00:00Z")
    assert reply.status == 409 and reply.error["code"] == "duplicate_activity"
    assert reply.error["details"][0]["activity_id"] == first["id"]


def test_the_day_of_a_duplicate_is_the_organization_local_day(api: Api, member: Person):
    kari = contact(api, member)
    create(api, member, activity_type="home_visit", contact_id=kari, activity_date="2026-11-02T22:30:00Z")  # 23:30 in Oslo, Nov 2
    late = create(api, member, activity_type="home_visit", contact_id=kari, activity_date="2026-11-02T23:30:00Z")  # 00:30 Nov 3 in Oslo
    assert late.status == 201


def test_other_type_or_other_user_is_only_a_suspected_duplicate(api: Api, member: Person, coordinator: Person):
    kari = contact(api, member)
    first = create(api, member, activity_type="home_visit", contact_id=kari).body
    other_type = create(api, member, activity_type="phone_call", contact_id=kari)
    other_user = create(api, coordinator, activity_type="home_visit", contact_id=kari, activity_date="2026-11-03")
    far = create(api, member, activity_type="home_visit", contact_id=kari, activity_date="2026-11-05")
    assert other_type.status == other_user.status == 201
    assert {"code": "suspected_duplicate", "activity_id": first["id"]} in other_type.body["warnings"]
    assert {"code": "suspected_duplicate", "activity_id": first["id"]} in other_user.body["warnings"]
    assert far.body["warnings"] == []


def test_a_deleted_activity_is_no_duplicate_and_restoring_a_twin_is_409(api: Api, member: Person, coordinator: Person):
    kari = contact(api, member)
    first = create(api, member, activity_type="home_visit", contact_id=kari).body
    assert api.call("DELETE", f"{URL}/{first['id']}", member).status == 204
    second = create(api, member, activity_type="home_visit", contact_id=kari)
    assert second.status == 201
    restored = api.call("POST", f"{URL}/{first['id']}/restore", coordinator)
    assert restored.status == 409 and restored.error["code"] == "duplicate_activity"


def test_editing_into_a_duplicate_is_409(api: Api, member: Person):
    kari = contact(api, member)
    create(api, member, activity_type="home_visit", contact_id=kari)
    moved = create(api, member, activity_type="home_visit", contact_id=kari, activity_date="2026-11-04").body
    reply = api.call("PATCH", f"{URL}/{moved['id']}", member, {"activity_date": DAY})
    assert reply.status == 409 and reply.error["code"] == "duplicate_activity"


# ---------------------------------------------------------------- reading and listing
def test_members_see_their_own_and_reviewers_the_organization(api: Api, member: Person, coordinator: Person, org_id: str):
    colleague = make_user(api, org_id)
    mine = create(api, member).body
    theirs = create(api, colleague).body
    assert [a["id"] for a in api.call("GET", URL, member).body["items"]] == [mine["id"]]
    assert {a["id"] for a in api.call("GET", URL, coordinator).body["items"]} == {mine["id"], theirs["id"]}
    assert api.call("GET", f"{URL}/{theirs['id']}", member).status == 403
    assert api.call("GET", f"{URL}?user_id={colleague.sub}", member).status == 403
    assert [a["id"] for a in api.call("GET", f"{URL}?user_id={colleague.sub}", coordinator).body["items"]] == [theirs["id"]]


def test_list_is_newest_first_with_filters_and_a_cursor(api: Api, member: Person, coordinator: Person):
    kari = contact(api, member)
    ids = {}
    for day, kind in [("2026-10-30", "meeting"), ("2026-10-31", "phone_call"), ("2026-11-01", "meeting"), ("2026-11-02", "home_visit")]:
        ids[day] = create(api, member, activity_date=day, activity_type=kind, contact_id=kari if kind == "home_visit" else None).body["id"]
    listed = api.call("GET", URL, member).body["items"]
    assert [a["id"] for a in listed] == [ids[d] for d in ["2026-11-02", "2026-11-01", "2026-10-31", "2026-10-30"]]
    window = api.call("GET", f"{URL}?from=2026-10-31&to=2026-11-01", member).body["items"]
    assert [a["id"] for a in window] == [ids["2026-11-01"], ids["2026-10-31"]]
    assert [a["id"] for a in api.call("GET", f"{URL}?activity_type=meeting", member).body["items"]] == [ids["2026-11-01"], ids["2026-10-30"]]
    assert [a["id"] for a in api.call("GET", f"{URL}?contact_id={kari}", coordinator).body["items"]] == [ids["2026-11-02"]]
    api.call("POST", f"{URL}/{ids['2026-10-31']}/review", coordinator, {"action": "approve"})
    assert [a["id"] for a in api.call("GET", f"{URL}?status=approved", coordinator).body["items"]] == [ids["2026-10-31"]]
    assert [a["id"] for a in api.call("GET", f"{URL}?status=under_review&activity_type=meeting", coordinator).body["items"]] == [ids["2026-11-01"], ids["2026-10-30"]]
    page1 = api.call("GET", f"{URL}?limit=3", member).body
    page2 = api.call("GET", f"{URL}?limit=3&cursor={page1['next_cursor']}", member).body
    assert len(page1["items"]) == 3 and [a["id"] for a in page2["items"]] == [ids["2026-10-30"]] and page2["next_cursor"] is None


@pytest.mark.parametrize(("query", "rule"), [("limit=0", "greater_than_equal"), ("limit=101", "less_than_equal"), ("from=02-11-2026", "string_pattern_mismatch"), ("status=done", "must_be_one_of"), ("cursor=abc", "cursor_invalid"), ("from=2026-11-05&to=2026-11-01", "date_range_valid"), ("include_deleted=maybe", "bool_parsing"), ("user_id=u%23ACT", "id_format"), ("contact_id=%C3%A9", "id_format")])
def test_list_refuses_bad_queries(api: Api, coordinator: Person, query: str, rule: str):
    reply = api.call("GET", f"{URL}?{query}", coordinator)
    assert reply.status == 400 and rule in reply.rules


@pytest.mark.parametrize("query", ["from=0001-01-01", "to=9999-12-31", "from=0001-01-01&to=9999-12-31", "from=9999-12-31", "to=0001-01-01"])
def test_list_dates_at_the_ends_of_the_calendar(api: Api, member: Person, coordinator: Person, query: str):
    create(api, member)
    for who in (member, coordinator):
        reply = api.call("GET", f"{URL}?{query}", who)
        assert reply.status == 200, reply


def test_a_cursor_outside_the_lists_dates_is_400(api: Api, member: Person):
    for day in ("2026-01-05", "2026-01-06", "2026-01-07"):
        create(api, member, activity_date=day)
    page = api.call("GET", f"{URL}?limit=1", member).body  # the newest: its cursor lies on 2026-01-07
    for query in ("to=2026-01-03", "from=2026-01-09"):  # day windows of ±1 that do not reach it
        reply = api.call("GET", f"{URL}?{query}&cursor={page['next_cursor']}", member)
        assert (reply.status, reply.rules) == (400, ["cursor_invalid"]), query
    assert api.call("GET", f"{URL}?from=2026-01-05&cursor={page['next_cursor']}", member).status == 200


@pytest.mark.parametrize("activity_date", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "0001-01-01T00:30:00", "0001-01-01"])
def test_an_activity_date_past_the_calendar_is_400(api: Api, member: Person, activity_date: str):
    reply = create(api, member, activity_date=activity_date)
    assert (reply.status, reply.rules) == (400, ["activity_date_valid"])


def test_lists_are_served_by_queries_never_scans(api: Api, member: Person, coordinator: Person, monkeypatch):
    calls = record_aws_calls(monkeypatch)
    for who, query in [(member, ""), (coordinator, ""), (coordinator, "?status=flagged"), (coordinator, f"?contact_id=c&user_id={member.sub}"), (coordinator, "?contact_id=c")]:
        assert api.call("GET", URL + query, who).status == 200
    operations = [operation for operation, _, _ in calls]
    assert "Scan" not in operations and operations.count("Query") == 5


# ---------------------------------------------------------------- editing and versions
def test_patch_changes_fields_and_bumps_the_version(api: Api, member: Person):
    created = create(api, member).body
    patched = api.call("PATCH", f"{URL}/{created['id']}", member, {"summary": "Coffee", "duration_minutes": 45, "version": 1})
    assert patched.status == 200
    assert (patched.body["summary"], patched.body["duration_minutes"], patched.body["version"]) == ("Coffee", 45, 2)
    assert patched.body["updated_at"] >= created["updated_at"] and patched.body["created_at"] == created["created_at"]


def test_patch_refuses_fields_it_does_not_take(api: Api, member: Person):
    created = create(api, member).body
    for field, rule in [("user_id", "server_owned_field"), ("local_id", "server_owned_field"), ("registration_mode", "server_owned_field"), ("status", "review_fields_consistent")]:
        reply = api.call("PATCH", f"{URL}/{created['id']}", member, {field: "x"})
        assert reply.status == 400 and reply.rules == [rule], field


def test_patch_keeps_the_rules(api: Api, member: Person):
    created = create(api, member, is_group_activity=True, participant_count=3).body
    reply = api.call("PATCH", f"{URL}/{created['id']}", member, {"participant_count": 1})
    assert reply.rules == ["group_activity_requires_participant_count"]
    wizard = create(api, member, registration_mode="wizard", summary="s", activity_date="2026-11-03").body
    assert api.call("PATCH", f"{URL}/{wizard['id']}", member, {"summary": None}).rules == ["summary_required_for_wizard_registration"]


def test_stale_version_is_409_version_conflict(api: Api, member: Person):
    created = create(api, member).body
    api.call("PATCH", f"{URL}/{created['id']}", member, {"summary": "a", "version": 1})
    reply = api.call("PATCH", f"{URL}/{created['id']}", member, {"summary": "b", "version": 1})
    assert reply.status == 409 and reply.error["code"] == "version_conflict"


def test_concurrent_patches_with_the_same_version_one_wins(api: Api, member: Person):
    created = create(api, member).body
    replies = []
    threads = [threading.Thread(target=lambda n=n: replies.append(api.call("PATCH", f"{URL}/{created['id']}", member, {"summary": f"s{n}", "version": 1}))) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status for r in replies) == [200] + [409] * 5
    assert api.call("GET", f"{URL}/{created['id']}", member).body["version"] == 2


def test_approved_is_immutable_for_its_member_until_reopened(api: Api, member: Person, coordinator: Person):
    created = create(api, member).body
    api.call("POST", f"{URL}/{created['id']}/review", coordinator, {"action": "approve"})
    assert api.call("PATCH", f"{URL}/{created['id']}", member, {"summary": "x"}).status == 403
    assert api.call("DELETE", f"{URL}/{created['id']}", member).status == 403
    assert api.call("PATCH", f"{URL}/{created['id']}", coordinator, {"summary": "by coordinator"}).status == 200
    api.call("POST", f"{URL}/{created['id']}/review", coordinator, {"action": "reopen"})
    assert api.call("PATCH", f"{URL}/{created['id']}", member, {"summary": "mine again"}).status == 200


def test_members_cannot_edit_someone_elses_activity(api: Api, member: Person, org_id: str):
    theirs = create(api, make_user(api, org_id)).body
    assert api.call("PATCH", f"{URL}/{theirs['id']}", member, {"summary": "x"}).status == 403
    assert api.call("DELETE", f"{URL}/{theirs['id']}", member).status == 403


# ---------------------------------------------------------------- review
TRANSITIONS = [
    ("under_review", "approve", "approved"), ("under_review", "flag", "flagged"), ("under_review", "reject", "rejected"),
    ("flagged", "approve", "approved"), ("flagged", "reject", "rejected"), ("flagged", "reopen", "under_review"),
    ("approved", "reopen", "under_review"), ("rejected", "reopen", "under_review"),
]  # fmt: skip
PATH_TO = {"under_review": [], "flagged": ["flag"], "approved": ["approve"], "rejected": ["reject"]}


def _review(api: Api, who: Person, activity_id: str, action: str):
    body = {"action": action, **({"reason": "because"} if action in ("flag", "reject") else {})}
    return api.call("POST", f"{URL}/{activity_id}/review", who, body)


@pytest.mark.parametrize(("start", "action", "end"), TRANSITIONS)
def test_every_allowed_transition(api: Api, member: Person, coordinator: Person, start: str, action: str, end: str):
    created = create(api, member).body
    for step in PATH_TO[start]:
        _review(api, coordinator, created["id"], step)
    reply = _review(api, coordinator, created["id"], action)
    assert reply.status == 200 and reply.body["status"] == end
    reviewed = end != "under_review"
    assert (reply.body["reviewed_by_user_id"] == coordinator.sub) is reviewed and (reply.body["reviewed_at"] is not None) is reviewed
    assert (reply.body["rejection_reason"] == "because") is (end in ("flagged", "rejected"))


@pytest.mark.parametrize(("start", "action"), [(s, a) for s in PATH_TO for a in ("approve", "flag", "reject", "reopen") if not any(t[:2] == (s, a) for t in TRANSITIONS)])
def test_every_other_transition_is_409(api: Api, member: Person, coordinator: Person, start: str, action: str):
    created = create(api, member).body
    for step in PATH_TO[start]:
        _review(api, coordinator, created["id"], step)
    reply = _review(api, coordinator, created["id"], action)
    assert reply.status == 409 and reply.error["code"] == "invalid_transition"


def test_review_needs_a_reviewer_and_a_reason_for_flag_and_reject(api: Api, member: Person, coordinator: Person):
    created = create(api, member).body
    assert api.call("POST", f"{URL}/{created['id']}/review", member, {"action": "approve"}).status == 403
    for action in ("flag", "reject"):
        reply = api.call("POST", f"{URL}/{created['id']}/review", coordinator, {"action": action})
        assert reply.status == 400 and reply.rules == ["review_fields_consistent"]
    assert api.call("POST", f"{URL}/{created['id']}/review", coordinator, {"action": "approve", "reason": "x"}).rules == ["review_fields_consistent"]
    assert api.call("POST", f"{URL}/{created['id']}/review", coordinator, {"action": "bless"}).rules == ["must_be_one_of"]


def test_a_coordinator_may_not_review_an_activity_they_own_or_registered(api: Api, member: Person, coordinator: Person, admin: Person, org_id: str):
    own = create(api, coordinator).body
    registered = create(api, coordinator, user_id=member.sub).body
    for activity_id in (own["id"], registered["id"]):
        for action in ("approve", "flag", "reject"):
            reply = _review(api, coordinator, activity_id, action)
            assert reply.status == 403 and reply.rules == ["review_not_own_activity"]
    assert api.call("GET", f"{URL}/{own['id']}", coordinator).body["status"] == "under_review"
    colleague = make_user(api, org_id, "coordinator")
    assert _review(api, colleague, own["id"], "approve").body["reviewed_by_user_id"] == colleague.sub
    assert _review(api, coordinator, own["id"], "reopen").rules == ["review_not_own_activity"]
    assert _review(api, admin, create(api, admin).body["id"], "approve").status == 200  # an admin may


def test_a_coordinator_may_not_edit_their_own_approved_activity_which_would_skip_review(api: Api, member: Person, coordinator: Person, admin: Person):
    own = create(api, coordinator).body
    assert api.call("PATCH", f"{URL}/{own['id']}", coordinator, {"duration_minutes": 45}).status == 200  # under review: theirs to edit
    _review(api, admin, own["id"], "approve")
    reply = api.call("PATCH", f"{URL}/{own['id']}", coordinator, {"duration_minutes": 600})
    assert reply.status == 403 and reply.rules == ["review_not_own_activity"]
    theirs = create(api, member).body
    _review(api, admin, theirs["id"], "approve")
    assert api.call("PATCH", f"{URL}/{theirs['id']}", coordinator, {"duration_minutes": 50}).status == 200
    mine = create(api, admin, activity_date="2026-11-03").body
    _review(api, admin, mine["id"], "approve")
    assert api.call("PATCH", f"{URL}/{mine['id']}", admin, {"duration_minutes": 50}).status == 200


def test_a_review_with_the_version_read_fails_if_the_activity_changed_since(api: Api, member: Person, coordinator: Person):
    read = create(api, member).body
    api.call("PATCH", f"{URL}/{read['id']}", member, {"duration_minutes": 600})  # edited after the reviewer read it
    stale = api.call("POST", f"{URL}/{read['id']}/review", coordinator, {"action": "approve", "version": read["version"]})
    assert stale.status == 409 and stale.error["code"] == "version_conflict" and stale.rules == ["version_conflict"]
    current = api.call("GET", f"{URL}/{read['id']}", coordinator).body
    assert current["status"] == "under_review"
    approved = api.call("POST", f"{URL}/{read['id']}/review", coordinator, {"action": "approve", "version": current["version"]})
    assert approved.status == 200 and approved.body["version"] == current["version"] + 1
    assert api.call("POST", f"{URL}/{read['id']}/review", coordinator, {"action": "reopen", "version": 0}).rules == ["greater_than_equal"]


# ---------------------------------------------------------------- delete and restore
def test_soft_delete_hides_and_restore_brings_back(api: Api, member: Person, coordinator: Person):
    created = create(api, member).body
    assert api.call("DELETE", f"{URL}/{created['id']}", member).status == 204
    assert api.call("GET", f"{URL}/{created['id']}", member).status == 404
    assert api.call("GET", URL, member).body["items"] == []
    assert api.call("GET", f"{URL}?include_deleted=true", member).status == 403
    hidden = api.call("GET", f"{URL}?include_deleted=true", coordinator).body["items"]
    assert [a["id"] for a in hidden] == [created["id"]] and hidden[0]["deleted_at"]
    assert api.call("DELETE", f"{URL}/{created['id']}", member).status == 404
    assert api.call("POST", f"{URL}/{created['id']}/restore", member).status == 403
    restored = api.call("POST", f"{URL}/{created['id']}/restore", coordinator)
    assert restored.status == 200 and restored.body["deleted_at"] is None and restored.body["version"] == 3
    assert api.call("POST", f"{URL}/{created['id']}/restore", coordinator).status == 409


# ---------------------------------------------------------------- home-visit reports
def test_home_visit_report_sets_the_flag(api: Api, member: Person):
    visit = create(api, member, activity_type="home_visit").body
    reply = api.call("POST", f"{URL}/{visit['id']}/home-visit-report", member, {"content": "All well."})
    assert reply.status == 201 and reply.body["activity_id"] == visit["id"] and reply.body["content"] == "All well."
    assert api.call("GET", f"{URL}/{visit['id']}", member).body["has_home_visit_report"] is True
    assert api.call("POST", f"{URL}/{visit['id']}/home-visit-report", member, {"content": "again"}).status == 409


def test_home_visit_report_only_on_a_home_visit(api: Api, member: Person):
    call = create(api, member, activity_type="phone_call").body
    reply = api.call("POST", f"{URL}/{call['id']}/home-visit-report", member, {"content": "x"})
    assert reply.status == 400 and reply.rules == ["home_visit_report_requires_home_visit"]
    assert api.call("POST", f"{URL}/{call['id']}/home-visit-report", member, {"content": ""}).rules == ["string_too_short"]


# ---------------------------------------------------------------- tenant isolation
def test_another_organizations_activity_is_404_everywhere(api: Api, admin: Person, org_id: str):
    outsider_org = org_id + "-b"
    theirs = create(api, make_user(api, outsider_org), activity_type="home_visit").body
    path = f"{URL}/{theirs['id']}"
    for method, suffix, body in [("GET", "", None), ("PATCH", "", {"summary": "x"}), ("DELETE", "", None), ("POST", "/restore", None), ("POST", "/review", {"action": "approve"}), ("POST", "/home-visit-report", {"content": "x"})]:
        reply = api.call(method, path + suffix, admin, body)
        assert reply.status == 404, (method, suffix, reply.status)
    owner_view = api.call("GET", path, make_user(api, outsider_org, "coordinator")).body
    assert owner_view["version"] == 1 and owner_view["summary"] is None and owner_view["status"] == "under_review"


def test_if_match_guards_patch_and_delete_with_the_etag(api: Api, member: Person):
    made = create(api, member).body
    read = api.call("GET", f"/api/activities/{made['id']}", member)
    assert read.headers["etag"] == '"v1"'
    changed = api.call("PATCH", f"/api/activities/{made['id']}", member, {"summary": "a"}, headers={"If-Match": read.headers["etag"]})
    assert changed.status == 200 and changed.headers["etag"] == '"v2"'
    stale = api.call("PATCH", f"/api/activities/{made['id']}", member, {"summary": "b"}, headers={"If-Match": '"v1"'})
    assert stale.status == 412 and stale.error["code"] == "precondition_failed" and stale.rules == ["precondition_failed"]
    assert api.call("DELETE", f"/api/activities/{made['id']}", member, headers={"If-Match": '"v1"'}).status == 412
    assert api.call("GET", f"/api/activities/{made['id']}", member).body["summary"] == "a"
    assert api.call("DELETE", f"/api/activities/{made['id']}", member, headers={"If-Match": 'W/"v2"'}).status == 204


def test_an_activity_changed_between_the_if_match_check_and_the_write_is_412(api: Api, member: Person, monkeypatch: pytest.MonkeyPatch):
    """The check passed on the item as read; the write, conditioned on that version, is refused."""
    from activity_tracker.logic import activities as logic

    made = create(api, member).body
    load = logic._load

    def read_then_someone_writes(request, user, **options):
        item = load(request, user, **options)
        monkeypatch.setattr(logic, "_load", load)  # once: the write in between reads normally
        assert api.call("PATCH", f"/api/activities/{made['id']}", member, {"summary": "meanwhile"}).status == 200
        return item

    monkeypatch.setattr(logic, "_load", read_then_someone_writes)
    raced = api.call("PATCH", f"/api/activities/{made['id']}", member, {"summary": "mine"}, headers={"If-Match": '"v1"'})
    assert raced.status == 412 and raced.rules == ["precondition_failed"]
    assert api.call("GET", f"/api/activities/{made['id']}", member).body["summary"] == "meanwhile"
