"""Models and rules as plain unit tests (no AWS)."""

from __future__ import annotations

import pytest

from activity_tracker.clock import iso
from activity_tracker.errors import ValidationFailed
from activity_tracker.models.base import parse
from activity_tracker.models.organization import OrganizationPatch, is_iana_timezone
from activity_tracker.models.user import MePatch
from activity_tracker.models.user_progress import ProgressInput, ProgressListQuery


def rules_of(model, data) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        parse(model, data)
    return [d["rule"] for d in caught.value.details]


def test_progress_input_trims_and_keeps_typed_values_only():
    data = parse(ProgressInput, {"progress_type": "zone_checkin", "item_id": "  z  ", "value": ["x"], "score": False})
    assert (data.item_id, data.kept_value(), data.kept_score(), data.metadata) == ("z", None, None, None)
    data = parse(ProgressInput, {"progress_type": "zone_checkin", "item_id": "z", "value": "", "score": 0})
    assert (data.kept_value(), data.kept_score()) == ("", 0)


def test_progress_query_parses_strings_and_bounds_limit():
    query = parse(ProgressListQuery, {"progress_type": "sign_learned", "limit": "100", "page": "2"})
    assert (query.limit, query.page) == (100, 2)
    assert parse(ProgressListQuery, {"progress_type": "sign_learned"}).limit == 20
    assert rules_of(ProgressListQuery, {"progress_type": "sign_learned", "limit": "101"}) == ["less_than_equal"]


def test_request_bodies_are_strict_about_types():
    assert rules_of(MePatch, {"name": 1}) == ["string_type"]
    assert rules_of(OrganizationPatch, {"is_test_organization": 1}) == ["bool_type"]
    assert rules_of(OrganizationPatch, {"is_test_organization": "true"}) == ["bool_type"]


def test_a_whole_number_written_with_a_fraction_is_an_integer_as_json_schema_says():
    from activity_tracker.models.activity import ActivityCreate, ActivityPatch, ActivityReview
    from activity_tracker.models.learning import ClassCreate

    patch = parse(ActivityPatch, {"version": 3.0, "duration_minutes": 45.0, "is_group_activity": True, "participant_count": 4.0})
    assert (patch.version, patch.duration_minutes, patch.participant_count) == (3, 45, 4) and type(patch.version) is int
    assert parse(ActivityReview, {"action": "approve", "version": 2.0}).version == 2
    assert parse(ClassCreate, {"class_type": "grupal", "max_participants": 5.0, "scheduled_at": "2030-01-01T10:00:00Z"}).max_participants == 5
    assert rules_of(ActivityPatch, {"version": 3.5}) == ["int_type"]
    assert rules_of(ActivityCreate, {"activity_date": "2026-11-20", "activity_type": "other", "duration_minutes": 30.5}) == ["duration_positive_integer"]
    assert rules_of(ActivityPatch, {"version": 2.0**60}) == ["int_type"]  # past 2**53 a float is no exact whole number
    assert rules_of(ActivityPatch, {"is_group_activity": 1.0}) == ["bool_type"]


def test_server_owned_fields_have_their_own_rule():
    assert rules_of(MePatch, {"email": "x@y.z"}) == ["server_owned_field"]
    assert rules_of(MePatch, {"favourite": "x"}) == ["unknown_field"]


def test_non_objects_are_refused():
    assert rules_of(MePatch, [1]) == ["must_be_object"]


@pytest.mark.parametrize(("name", "valid"), [("Europe/Oslo", True), ("UTC", True), ("America/Argentina/Buenos_Aires", True), ("Europe/Nowhere", False), ("", False), ("/etc/passwd", False), ("a/../../b", False)])
def test_iana_timezones(name: str, valid: bool):
    assert is_iana_timezone(name) is valid


def test_times_are_utc_with_z_and_milliseconds():
    from datetime import datetime, timedelta, timezone

    moment = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=1)))
    assert iso(moment) == "2026-01-02T02:04:05.678Z"


@pytest.mark.parametrize(
    ("url", "valid"),
    [
        ("https://cdn.example.org/u/1.png", True),
        ("HTTPS://cdn.example.org/a%20b.png?size=2#x", True),
        ("http://localhost:3000/a.png", True),
        ("http://127.0.0.1/a.png", True),
        ("http://[::1]/a.png", True),
        ("javascript:alert(1)", False),
        ("JavaScript://%0aalert(1)", False),
        ("data:image/png;base64,AAAA", False),
        ("file:///etc/passwd", False),
        ("http://cdn.example.org/a.png", False),
        ("//cdn.example.org/a.png", False),
        ("https://", False),
        ("https:///a.png", False),
        ("https://user:secret@cdn.example.org/a.png", False),
        ("https://cdn.example.org/a b.png", False),
        ("https://cdn.example.org/\u00e9.png", False),
        ("https://cdn.example.org:99999/a.png", False),
        ("https://[::1/a.png", False),
        ("https://cdn.example.org/" + "a" * 2030, False),
    ],
)
def test_a_profile_image_is_an_https_url(url: str, valid: bool):
    from activity_tracker.models.user import is_image_url

    assert is_image_url(url) is valid
    if not valid and len(url) <= 2048:
        assert rules_of(MePatch, {"image": url}) == ["image_https_url"]
