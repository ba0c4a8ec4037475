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
        ORG_MONTH: {"activity_count": 1, "duration_minutes": 30, "type_meeting": 1, "user_u": 1},
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
    assert delta(activity(deleted_at="x"), activity())[ORG_MONTH]["user_u"] == 1
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
