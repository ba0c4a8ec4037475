"""Counter deltas from stream images (pure)."""

from __future__ import annotations

from activity_tracker.stream.deltas import delta

USER_MONTH = ("ORG#o#USER#u", "STATS#2026-11")
ORG_MONTH = ("ORG#o", "STATS#2026-11")


def activity(**overrides):
    base = {"type": "ACTIVITY", "organization_id": "o", "user_id": "u", "local_date": "2026-11-02", "duration_minutes": 30, "activity_type": "meeting", "status": "under_review", "deleted_at": None}
    return {**base, **overrides}


def test_a_new_activity_counts_for_its_user_and_organization_month():
    assert delta(None, activity()) == {
        USER_MONTH: {"activity_count": 1, "duration_minutes": 30, "type_meeting": 1},
        ORG_MONTH: {"activity_count": 1, "duration_minutes": 30, "type_meeting": 1},
    }


def test_edits_move_only_what_changed():
    assert delta(activity(), activity(duration_minutes=45)) == {USER_MONTH: {"duration_minutes": 15}, ORG_MONTH: {"duration_minutes": 15}}
    assert delta(activity(), activity(activity_type="home_visit")) == {
        USER_MONTH: {"type_meeting": -1, "type_home_visit": 1},
        ORG_MONTH: {"type_meeting": -1, "type_home_visit": 1},
    }
    moved = delta(activity(), activity(local_date="2026-12-01"))
    assert moved[USER_MONTH] == {"activity_count": -1, "duration_minutes": -30, "type_meeting": -1}
    assert moved[("ORG#o#USER#u", "STATS#2026-12")] == {"activity_count": 1, "duration_minutes": 30, "type_meeting": 1}
    assert delta(activity(), activity(summary="x", version=2)) == {}


def test_deletes_rejections_and_their_undoing():
    assert delta(activity(), activity(deleted_at="2026-11-03T00:00:00Z"))[USER_MONTH] == {"activity_count": -1, "duration_minutes": -30, "type_meeting": -1}
    assert delta(activity(deleted_at="x"), activity())[ORG_MONTH]["activity_count"] == 1
    assert delta(activity(), activity(status="rejected"))[ORG_MONTH]["activity_count"] == -1
    assert delta(activity(status="rejected"), activity(status="under_review"))[USER_MONTH]["activity_count"] == 1
    assert delta(activity(), activity(status="approved")) == {}
    assert delta(activity(), None)[USER_MONTH]["activity_count"] == -1


def test_user_activity_completion_counts_once():
    ua = {"type": "USER_ACTIVITY", "organization_id": "o", "user_id": "u", "completed": False}
    profile = ("ORG#o#USER#u", "PROFILE")
    assert delta(ua, {**ua, "completed": True}) == {profile: {"total_classes": 1}}
    assert delta(None, {**ua, "completed": True}) == {profile: {"total_classes": 1}}
    assert delta({**ua, "completed": True}, {**ua, "completed": True, "task_id": "t"}) == {}
    assert delta(None, ua) == {}


def test_other_entities_count_nothing():
    assert delta(None, {"type": "CONTACT", "organization_id": "o"}) == {}
    assert delta(None, {"type": "HOME_VISIT_REPORT", "organization_id": "o", "activity_id": "a"}) == {}


def test_active_users_move_only_when_a_user_month_crosses_zero():
    from activity_tracker.stream.counters import with_active_users

    a, b = ("ORG#o#USER#a", "STATS#2026-11"), ("ORG#o#USER#b", "STATS#2026-11")
    org = ("ORG#o", "STATS#2026-11")
    totals = {a: {"activity_count": 2}, b: {"activity_count": -1}, org: {"activity_count": 1}}
    out, guards = with_active_users(totals, {b: 1})  # a: 0 -> 2 (joins), b: 1 -> 0 (leaves)
    assert out[org] == {"activity_count": 1, "active_users": 0} and guards == {a: 0, b: 1}
    out, _ = with_active_users({a: {"activity_count": 1}, org: {"activity_count": 1}}, {a: 3})  # already active
    assert "active_users" not in out[org]
    out, _ = with_active_users({b: {"activity_count": -1}}, {b: 1})  # the org month's own fields net to zero
    assert out[org] == {"active_users": -1}
    out, guards = with_active_users({a: {"duration_minutes": 5}}, {})  # count unchanged: no read, no guard
    assert guards == {} and org not in out
