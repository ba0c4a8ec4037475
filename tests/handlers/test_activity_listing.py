"""/api/activities lists and the indexes behind them: live activities only in GSI1, GSI3 and GSI4, the
deleted ones in their own GSI2 partition, so a page of live activities is read exactly; deleted ones
merged in (newest first, across pages) for reviewers; activities deleted before the indexes held
live ones only stay hidden."""

from __future__ import annotations

from typing import Any

from tests.helpers import Api, Person, make_user, record_aws_calls

URL = "/api/activities"
LIVE_INDEX_KEYS = ("gsi1pk", "gsi1sk", "gsi3pk", "gsi3sk", "gsi4pk", "gsi4sk")


def _create(api: Api, who: Person, day: int, **fields: Any) -> str:
    body = {"activity_date": f"2026-10-{day:02d}", "activity_type": "meeting", **fields}
    reply = api.call("POST", URL, who, body)
    assert reply.status == 201, reply.body
    return str(reply.body["id"])


def _stored(org_id: str, activity_id: str) -> dict[str, Any]:
    from activity_tracker import keys
    from activity_tracker.repository.table import TABLE_NAME, connection, plain_item

    key = {"pk": {"S": keys.activity_pk(org_id, activity_id)}, "sk": {"S": keys.ACTIVITY_SK}}
    item = plain_item(connection().client.get_item(TableName=TABLE_NAME, Key=key, ConsistentRead=True).get("Item"))
    assert item is not None
    return item


def _ids(reply_body: dict[str, Any]) -> list[str]:
    return [a["id"] for a in reply_body["items"]]


def test_a_deleted_activity_leaves_the_live_indexes_and_a_restore_brings_it_back(api: Api, member: Person, coordinator: Person, org_id: str):
    from activity_tracker import keys

    kari = api.call("POST", "/api/contacts", member, {"name": "Kari"}).body["id"]
    activity_id = _create(api, member, 2, activity_type="home_visit", contact_id=kari)
    live = _stored(org_id, activity_id)
    assert (live["gsi1pk"], live["gsi2pk"], live["gsi3pk"], live["gsi4pk"]) == (
        keys.activities_of_user(org_id, member.sub), keys.activities_of_org(org_id),
        keys.activities_of_contact(org_id, kari), keys.activities_by_status(org_id, "under_review"),
    )  # fmt: skip

    assert api.call("DELETE", f"{URL}/{activity_id}", member).status == 204
    deleted = _stored(org_id, activity_id)
    assert not set(LIVE_INDEX_KEYS) & set(deleted)
    assert (deleted["gsi2pk"], deleted["gsi2sk"]) == (keys.deleted_activities_of_org(org_id), live["gsi2sk"])

    assert api.call("POST", f"{URL}/{activity_id}/restore", coordinator).status == 200
    restored = _stored(org_id, activity_id)
    assert {k: restored[k] for k in (*LIVE_INDEX_KEYS, "gsi2pk", "gsi2sk")} == {k: live[k] for k in (*LIVE_INDEX_KEYS, "gsi2pk", "gsi2sk")}


def test_a_page_of_live_activities_reads_exactly_the_page(api: Api, member: Person, monkeypatch):

    ids = {day: _create(api, member, day) for day in range(1, 8)}
    for day in (7, 5):  # deleted among the newest: a filter on deleted_at would have to read past them
        assert api.call("DELETE", f"{URL}/{ids[day]}", member).status == 204
    calls = record_aws_calls(monkeypatch)
    page = api.call("GET", f"{URL}?limit=3", member).body

    assert _ids(page) == [ids[6], ids[4], ids[3]] and page["next_cursor"]
    ((params, result),) = [(params, result) for operation, params, result in calls if operation == "Query"]
    assert params["Limit"] == 3 and result["ScannedCount"] == result["Count"] == 3


def test_reviewers_see_deleted_activities_merged_newest_first_across_pages(api: Api, member: Person, coordinator: Person, org_id: str):
    other = make_user(api, org_id)
    ids = {day: _create(api, member, day) for day in range(1, 6)}
    theirs = _create(api, other, 6, activity_type="phone_call")
    for day in (4, 2):
        api.call("DELETE", f"{URL}/{ids[day]}", member)
    api.call("DELETE", f"{URL}/{theirs}", other)

    def pages(query: str) -> list[list[str]]:
        out, cursor = [], None
        while True:
            body = api.call("GET", f"{URL}?include_deleted=true&limit=2&{query}" + (f"&cursor={cursor}" if cursor else ""), coordinator).body
            out.append(_ids(body))
            cursor = body["next_cursor"]
            if not cursor:
                return out

    def listed(query: str) -> list[str]:
        return [activity_id for page in pages(query) for activity_id in page]

    newest_first = [ids[day] for day in (5, 4, 3, 2, 1)]
    assert pages(f"user_id={member.sub}") == [newest_first[0:2], newest_first[2:4], newest_first[4:]]
    assert listed("") == [theirs, *newest_first]
    assert listed("status=under_review&activity_type=meeting") == newest_first
    assert listed(f"user_id={other.sub}") == [theirs]
    assert listed("from=2026-10-02&to=2026-10-04") == [ids[4], ids[3], ids[2]]
    assert _ids(api.call("GET", f"{URL}?user_id={member.sub}", coordinator).body) == [ids[5], ids[3], ids[1]]


def test_an_activity_deleted_before_the_indexes_held_live_ones_only_stays_hidden(api: Api, member: Person, coordinator: Person, org_id: str):
    """A table deployed before: its deleted activities still sit in the live partitions until backfilled."""
    from activity_tracker.clock import now_iso
    from activity_tracker.repository import activities

    kept, legacy = _create(api, member, 1), _create(api, member, 2)
    stored = activities.get(org_id, legacy)
    assert stored is not None
    item = activities.build(activities.state_of(stored))  # index keys of a live activity...
    item.deleted_at = now_iso()  # ...on a deleted one, as deletions were written before
    item.save()

    assert _ids(api.call("GET", URL, member).body) == [kept]
    assert _ids(api.call("GET", f"{URL}?status=under_review", coordinator).body) == [kept]
    assert _ids(api.call("GET", f"{URL}?include_deleted=true", coordinator).body) == [legacy, kept]
