"""/api/user_progress through the real handlers (DynamoDB Local behind)."""

from __future__ import annotations

import json
import time

import pytest

from tests.helpers import Api, Person

URL = "/api/user_progress"


@pytest.fixture
def me(org_id: str) -> Person:
    return Person.new(org_id, campus_id="campus-1")


def upsert(api: Api, who: Person, **data):
    return api.call("POST", URL, who, {"data": data})


def test_item_id_is_bounded_in_bytes_as_its_sort_key_is(api: Api, me: Person):
    """512 characters of 4 bytes are 2,048 bytes, twice what DynamoDB holds in a sort key."""
    assert upsert(api, me, progress_type="zone_checkin", item_id="\U0001f600" * 250).status == 200  # 1,000 bytes
    too_long = "\U0001f600" * 251
    assert upsert(api, me, progress_type="zone_checkin", item_id=too_long).rules == ["item_id_max_length"]
    for method, path in [("GET", f"{URL}?progress_type=zone_checkin&item_id={too_long}"), ("DELETE", f"{URL}/by-item?progress_type=zone_checkin&item_id={'a' * 3000}")]:
        reply = api.call(method, path, me)
        assert (reply.status, reply.rules) == (400, ["item_id_max_length"]), method


@pytest.mark.parametrize(("score", "stored"), [(1e-130, True), (-9.99e125, True), (12345678901234567890123456789012345678, True), (10**50, True), (0.0, True), (1e-131, False), (5e-324, False), (1e126, False), (123456789012345678901234567890123456789, False)])
def test_a_score_is_what_dynamodb_can_store(api: Api, me: Person, score: float, stored: bool):
    reply = upsert(api, me, progress_type="sign_learned", item_id="scored", score=score)
    assert (reply.status, reply.rules if not stored else []) == ((200, []) if stored else (400, ["score_out_of_range"]))


@pytest.mark.parametrize("character", ["\u00e9", "\U0001f600"])
def test_metadata_that_grows_past_400_kb_when_stored_is_400_and_writes_nothing(api: Api, me: Person, character: str):
    """The body is under 256 KiB, but metadata is stored as JSON text with non-ASCII escaped:
    `é` becomes 6 bytes, an emoji 12."""
    raw = json.dumps({"data": {"progress_type": "sign_learned", "item_id": "big", "metadata": {"text": character * (200_000 // len(character.encode()))}}}, ensure_ascii=False).encode()
    assert len(raw) < 256 * 1024
    reply = api.call("POST", URL, me, raw=raw)
    assert (reply.status, reply.rules) == (400, ["item_too_large"])
    assert api.call("GET", f"{URL}?progress_type=sign_learned&item_id=big", me).body["count"] == 0


def test_upsert_creates_a_row_with_the_dto_of_the_seed(api: Api, me: Person):
    reply = upsert(api, me, progress_type="sign_learned", item_id="  hello ", value="v", score=7.5, metadata={"a": [1, 2]})
    assert reply.status == 200
    body = reply.body
    assert set(body) == {"id", "progress_type", "item_id", "value", "score", "metadata", "organizationId", "campusId", "userId", "createdAt", "updatedAt"}
    assert body["item_id"] == "hello"
    assert (body["value"], body["score"], body["metadata"]) == ("v", 7.5, {"a": [1, 2]})
    assert (body["organizationId"], body["campusId"], body["userId"]) == (me.org_id, "campus-1", me.sub)
    assert body["createdAt"].endswith("Z") and body["createdAt"] == body["updatedAt"]


def test_upsert_keeps_one_row_per_type_and_item_and_keeps_created_at(api: Api, me: Person):
    first = upsert(api, me, progress_type="zone_checkin", item_id="z1", value="red").body
    time.sleep(0.01)
    second = upsert(api, me, progress_type="zone_checkin", item_id="z1", value="green").body
    assert second["id"] == first["id"]
    assert second["createdAt"] == first["createdAt"]
    assert second["updatedAt"] > first["updatedAt"]
    assert second["value"] == "green"
    listed = api.call("GET", f"{URL}?progress_type=zone_checkin", me).body
    assert listed["count"] == 1


def test_value_score_and_metadata_are_kept_only_when_of_their_type(api: Api, me: Person):
    body = upsert(api, me, progress_type="sign_learned", item_id="x", value=5, score="9").body
    assert (body["value"], body["score"], body["metadata"]) == (None, None, None)
    assert upsert(api, me, progress_type="sign_learned", item_id="y", score=True).body["score"] is None
    assert upsert(api, me, progress_type="sign_learned", item_id="y", score=3).body["score"] == 3


def test_campus_is_null_without_the_claim(api: Api, org_id: str):
    who = Person.new(org_id)
    assert upsert(api, who, progress_type="sign_learned", item_id="x").body["campusId"] is None


@pytest.mark.parametrize(
    ("data", "rule", "field"),
    [
        ({"progress_type": "sign_learned", "item_id": "   "}, "item_id_required", "data.item_id"),
        ({"progress_type": "sign_learned", "item_id": 5}, "string_type", "data.item_id"),
        ({"progress_type": "sign_learned", "item_id": "x" * 513}, "item_id_max_length", "data.item_id"),
        ({"progress_type": "walking", "item_id": "x"}, "must_be_one_of", "data.progress_type"),
        ({"item_id": "x"}, "required", "data.progress_type"),
        ({"progress_type": "sign_learned", "item_id": "x", "metadata": [1]}, "metadata_must_be_object", "data.metadata"),
        ({"progress_type": "sign_learned", "item_id": "x", "score": 1e300}, "score_out_of_range", "data.score"),
        ({"progress_type": "sign_learned", "item_id": "x", "extra": 1}, "unknown_field", "data.extra"),
    ],
)
def test_upsert_refuses_invalid_data_with_the_rule_name(api: Api, me: Person, data, rule, field):
    reply = upsert(api, me, **data)
    assert reply.status == 400
    assert reply.error["code"] == "validation_error"
    assert {"field": field, "rule": rule} in [{k: d[k] for k in ("field", "rule")} for d in reply.error["details"]]


def test_upsert_requires_the_data_wrapper(api: Api, me: Person):
    reply = api.call("POST", URL, me, {"progress_type": "sign_learned", "item_id": "x"})
    assert reply.status == 400
    assert "required" in reply.rules and "unknown_field" in reply.rules


def test_list_is_newest_first_paginated_with_total_count(api: Api, me: Person):
    for n in range(5):
        upsert(api, me, progress_type="sign_learned", item_id=f"i{n}")
        time.sleep(0.002)
    upsert(api, me, progress_type="zone_checkin", item_id="other-type")
    page1 = api.call("GET", f"{URL}?progress_type=sign_learned&limit=2", me).body
    page3 = api.call("GET", f"{URL}?progress_type=sign_learned&limit=2&page=3", me).body
    page4 = api.call("GET", f"{URL}?progress_type=sign_learned&limit=2&page=4", me).body
    assert [r["item_id"] for r in page1["rows"]] == ["i4", "i3"]
    assert [r["item_id"] for r in page3["rows"]] == ["i0"]
    assert page4["rows"] == []
    assert page1["count"] == page3["count"] == page4["count"] == 5


def test_list_defaults_to_twenty_rows(api: Api, me: Person):
    for n in range(21):
        upsert(api, me, progress_type="zone_checkin", item_id=f"z{n:02d}")
    body = api.call("GET", f"{URL}?progress_type=zone_checkin", me).body
    assert (len(body["rows"]), body["count"]) == (20, 21)


def test_list_filters_by_item_id(api: Api, me: Person):
    upsert(api, me, progress_type="sign_learned", item_id="a")
    upsert(api, me, progress_type="sign_learned", item_id="b")
    body = api.call("GET", f"{URL}?progress_type=sign_learned&item_id=b", me).body
    assert [r["item_id"] for r in body["rows"]] == ["b"] and body["count"] == 1
    assert api.call("GET", f"{URL}?progress_type=sign_learned&item_id=nope", me).body == {"rows": [], "count": 0}


def test_rows_are_the_callers_own(api: Api, me: Person, org_id: str):
    colleague, stranger = Person.new(org_id), Person.new("other-" + org_id)
    upsert(api, me, progress_type="sign_learned", item_id="mine")
    assert api.call("GET", f"{URL}?progress_type=sign_learned", colleague).body == {"rows": [], "count": 0}
    assert api.call("GET", f"{URL}?progress_type=sign_learned", stranger).body == {"rows": [], "count": 0}
    assert api.call("DELETE", f"{URL}/by-item?progress_type=sign_learned&item_id=mine", colleague).body == {"deletedCount": 0}
    assert api.call("GET", f"{URL}?progress_type=sign_learned", me).body["count"] == 1


@pytest.mark.parametrize(
    ("query", "rule"),
    [
        ("", "required"),
        ("progress_type=nope", "must_be_one_of"),
        ("progress_type=sign_learned&limit=0", "greater_than_equal"),
        ("progress_type=sign_learned&limit=101", "less_than_equal"),
        ("progress_type=sign_learned&limit=ten", "int_parsing"),
        ("progress_type=sign_learned&page=0", "greater_than_equal"),
        ("progress_type=sign_learned&colour=red", "unknown_field"),
    ],
)
def test_list_refuses_bad_queries(api: Api, me: Person, query: str, rule: str):
    reply = api.call("GET", f"{URL}?{query}", me)
    assert reply.status == 400
    assert rule in reply.rules


def test_delete_by_item_reports_how_many_were_deleted(api: Api, me: Person):
    upsert(api, me, progress_type="sign_learned", item_id="gone")
    path = f"{URL}/by-item?progress_type=sign_learned&item_id=gone"
    assert api.call("DELETE", path, me).body == {"deletedCount": 1}
    assert api.call("DELETE", path, me).body == {"deletedCount": 0}
    assert api.call("GET", f"{URL}?progress_type=sign_learned", me).body["count"] == 0


@pytest.mark.parametrize("query", ["progress_type=sign_learned", "item_id=x", "progress_type=bad&item_id=x"])
def test_delete_requires_type_and_item(api: Api, me: Person, query: str):
    assert api.call("DELETE", f"{URL}/by-item?{query}", me).status == 400
