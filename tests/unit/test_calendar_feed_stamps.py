"""Which users' calendar feeds a stream record changes, and the stamps' order (stream/feed_stamps.py)."""

from __future__ import annotations

from typing import Any

from activity_tracker.repository.calendars import seconds_of, stamp_at
from activity_tracker.stream.feed_stamps import stamp_of, users_of
from activity_tracker.stream.images import Change


def change(old: dict[str, Any] | None, new: dict[str, Any] | None, at: int = 1_800_000_000, sequence: str = "100") -> Change:
    return Change("e", sequence, old, new, at)


def test_a_class_change_reaches_its_host_participants_and_members_before_and_after():
    old = {"type": "CLASS", "organization_id": "o", "host_id": "h", "participant_ids": ["a", "b"], "member_activities": ["h|1", "a|2", "b|3"]}
    new = {**old, "participant_ids": ["a"], "member_activities": ["h|1", "a|2"], "status": "cancelled"}
    assert users_of(change(old, new), "2026-01-01") == {("o", "h"), ("o", "a"), ("o", "b")}  # b left: its feed loses the class


def test_an_activity_moves_its_users_stamp_only_inside_the_window():
    inside = {"type": "ACTIVITY", "organization_id": "o", "user_id": "u", "activity_date": "2026-11-20T10:00:00Z"}
    outside = {**inside, "activity_date": "2026-01-20T10:00:00Z"}
    assert users_of(change(None, inside), "2026-09-01") == {("o", "u")}
    assert users_of(change(outside, {**outside, "summary": "x"}), "2026-09-01") == set()
    assert users_of(change(outside, inside), "2026-09-01") == {("o", "u")}  # moved into the window


def test_a_user_record_moves_the_stamp_only_when_active_changes():
    user = {"type": "USER", "organization_id": "o", "id": "u", "active": True}
    assert users_of(change(user, {**user, "total_classes": 3}), "2026-01-01") == set()
    assert users_of(change(user, {**user, "active": False}), "2026-01-01") == {("o", "u")}


def test_stamps_order_by_time_then_sequence_and_a_new_token_comes_before_its_minute():
    assert stamp_of(change(None, None, 1_800_000_000, "9")) < stamp_of(change(None, None, 1_800_000_000, "10")) < stamp_of(change(None, None, 1_800_000_060, "1"))
    assert stamp_at(1_800_000_050) < stamp_of(change(None, None, 1_800_000_000, "1"))  # rounded down to the minute, like stream times
    assert seconds_of(stamp_of(change(None, None, 1_800_000_000))) == 1_800_000_000 and seconds_of("") == 0
