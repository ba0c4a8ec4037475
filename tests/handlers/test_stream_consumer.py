"""The stream consumer against real recorded stream batches: counters exact under redelivery,
split and reordered retries and half-failed batches; total_classes; the home-visit flag; the
duplicate re-check; statistics routes."""

from __future__ import annotations

import pytest

from tests.helpers import Api, Person, make_user
from tests.stream_helpers import consume, counters, expected_counters, recorded

URL = "/api/activities"


def _history(api: Api, org_id: str) -> tuple[Person, Person]:
    """Creates, edits (date, type, duration), deletes, restores, rejects and reopens."""
    mentor, coordinator = make_user(api, org_id), make_user(api, org_id, "coordinator")
    other = make_user(api, org_id)
    ids = []
    for day, kind, minutes, who in [("2026-10-30", "meeting", 30, mentor), ("2026-11-01", "home_visit", 60, mentor), ("2026-11-02", "phone_call", 15, other), ("2026-11-03", "course", 90, other)]:
        ids.append(api.call("POST", URL, who, {"activity_date": day, "activity_type": kind, "duration_minutes": minutes}).body["id"])
    api.call("PATCH", f"{URL}/{ids[0]}", mentor, {"activity_date": "2026-11-04"})  # moves month
    api.call("PATCH", f"{URL}/{ids[1]}", mentor, {"duration_minutes": 75, "activity_type": "meeting"})
    api.call("DELETE", f"{URL}/{ids[2]}", other)
    api.call("POST", f"{URL}/{ids[2]}/restore", coordinator)
    api.call("DELETE", f"{URL}/{ids[2]}", coordinator)
    api.call("POST", f"{URL}/{ids[3]}/review", coordinator, {"action": "reject", "reason": "not a course"})
    api.call("POST", f"{URL}/{ids[3]}/review", coordinator, {"action": "reopen"})
    api.call("POST", f"{URL}/{ids[3]}/review", coordinator, {"action": "reject", "reason": "really not"})
    api.call("POST", URL, coordinator, {"activity_date": "2026-11-05", "activity_type": "meeting", "user_id": mentor.sub})
    return mentor, coordinator


def test_one_delivery_gives_the_counters_recomputed_from_the_items(api: Api, org_id: str):
    _history(api, org_id)
    records = recorded(api.stack, org_id)
    activities = [r for r in records if r["dynamodb"]["Keys"]["sk"]["S"] == "ACT"]
    assert len(activities) == 13  # 5 creates, 2 edits, 3 deletes and restores, 3 reviews
    assert len(records) == 18  # and, for the audit trail, 3 users and the organization created, a role given
    assert consume(api, records) == {"batchItemFailures": []}
    assert counters(org_id) == expected_counters(org_id) != {}


def test_redelivery_and_reordered_retries_count_once(api: Api, org_id: str):
    _history(api, org_id)
    records = recorded(api.stack, org_id)
    half = len(records) // 2
    consume(api, records[half:])  # a later part first, as bisected retries may deliver it
    consume(api, records)
    consume(api, records)
    consume(api, records[:half])
    for size in (1, 3):
        for start in range(0, len(records), size):
            consume(api, records[start : start + size])
    assert counters(org_id) == expected_counters(org_id)


def test_a_batch_that_fails_half_way_reports_the_failure_and_the_retry_is_exact(api: Api, org_id: str, monkeypatch):
    from activity_tracker.stream import counters as engine

    _history(api, org_id)
    records = recorded(api.stack, org_id)
    real = engine._actions
    calls = {"n": 0}

    def failing_after_first_chunk(chunk, *args):
        calls["n"] += 1
        if calls["n"] > 1:
            raise RuntimeError("simulated crash")
        return real(chunk, *args)

    monkeypatch.setattr(engine, "MAX_ACTIONS", 8)  # several chunks per batch
    monkeypatch.setattr(engine, "_actions", failing_after_first_chunk)
    with pytest.raises(RuntimeError):
        consume(api, records)
    partial = counters(org_id)
    assert partial != expected_counters(org_id)
    monkeypatch.setattr(engine, "_actions", real)
    assert consume(api, records) == {"batchItemFailures": []}
    consume(api, records)
    assert counters(org_id) == expected_counters(org_id)


def test_failed_counter_writes_become_batch_item_failures(api: Api, org_id: str, monkeypatch):
    from botocore.exceptions import ClientError

    from activity_tracker.stream import counters as engine

    mentor = make_user(api, org_id)
    api.call("POST", URL, mentor, {"activity_date": "2026-11-02", "activity_type": "meeting"})
    records = recorded(api.stack, org_id, entities=("ACTIVITY",))
    throttled = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "TransactWriteItems")

    real_client = engine.connection().client

    class Refusing:
        def __getattr__(self, name):
            if name == "transact_write_items":
                raise throttled
            return getattr(real_client, name)

    monkeypatch.setattr(engine, "MAX_ATTEMPTS", 2)
    monkeypatch.setattr(engine, "connection", lambda: type("C", (), {"client": Refusing()})())
    failures = consume(api, records)["batchItemFailures"]
    assert failures == [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]
    assert counters(org_id) == {}


def test_statistics_routes_read_the_counters(api: Api, org_id: str):
    mentor, coordinator = _history(api, org_id)
    consume(api, recorded(api.stack, org_id))
    mine = api.call("GET", "/api/stats/me?year=2026", mentor).body
    assert mine["year"] == 2026 and len(mine["months"]) == 12 and mine["total_classes"] == 0
    november = mine["months"][10]
    assert november == {"month": "2026-11", "activity_count": 3, "duration_minutes": 135, "by_type": {"meeting": 3}}
    assert mine["months"][9]["activity_count"] == 0  # the October activity moved to November
    org = api.call("GET", "/api/stats/organization?year=2026", coordinator).body
    assert org["months"][10]["active_users"] == 1 and org["months"][10]["activity_count"] == 3
    assert api.call("GET", "/api/stats/organization", mentor).status == 403
    assert api.call("GET", "/api/stats/me?year=1999", mentor).rules == ["greater_than_equal"]
    assert api.call("GET", "/api/stats/me?year=twenty", mentor).rules == ["int_parsing"]
    assert api.call("GET", "/api/stats/me", mentor).body["year"] >= 2026


def test_active_users_are_distinct_users_with_a_counted_activity(api: Api, org_id: str):
    coordinator = make_user(api, org_id, "coordinator")
    a, b = make_user(api, org_id), make_user(api, org_id)
    for who, day in [(a, "2026-11-01"), (a, "2026-11-02"), (b, "2026-11-03")]:
        api.call("POST", URL, who, {"activity_date": day, "activity_type": "meeting"})
    rejected = api.call("POST", URL, b, {"activity_date": "2026-10-03", "activity_type": "meeting"}).body
    api.call("POST", f"{URL}/{rejected['id']}/review", coordinator, {"action": "reject", "reason": "no"})
    consume(api, recorded(api.stack, org_id))
    months = api.call("GET", "/api/stats/organization?year=2026", coordinator).body["months"]
    assert (months[10]["active_users"], months[9]["active_users"]) == (2, 0)


def _put(item: dict) -> None:
    from activity_tracker.repository.table import TABLE_NAME, connection

    def attr(value):
        if isinstance(value, bool):
            return {"BOOL": value}
        if value is None:
            return {"NULL": True}
        return {"N": str(value)} if isinstance(value, int) else {"S": value}

    connection().client.put_item(TableName=TABLE_NAME, Item={k: attr(v) for k, v in item.items()})


def test_total_classes_grows_once_per_completion(api: Api, org_id: str):
    learner = make_user(api, org_id)
    ua = {"pk": f"ORG#{org_id}#USER#{learner.sub}", "sk": "UA#class-1#ua-1", "type": "USER_ACTIVITY", "id": "ua-1", "user_id": learner.sub, "organization_id": org_id, "class_id": "class-1", "role": "participante", "completed": False}
    _put(ua)
    _put({**ua, "completed": True})
    _put({**ua, "completed": True, "task_id": "t-1"})  # completing again changes nothing
    _put({**ua, "sk": "UA#class-2#ua-2", "id": "ua-2", "class_id": "class-2", "completed": True})
    records = recorded(api.stack, org_id)
    consume(api, records)
    consume(api, records)
    assert api.call("GET", "/api/users/me", learner).body["total_classes"] == 2
    assert api.call("GET", "/api/stats/me", learner).body["total_classes"] == 2


def test_a_written_report_sets_the_flag_without_bumping_the_version(api: Api, org_id: str):
    mentor = make_user(api, org_id)
    visit = api.call("POST", URL, mentor, {"activity_date": "2026-11-02", "activity_type": "home_visit"}).body
    _put({"pk": f"ORG#{org_id}#ACT#{visit['id']}", "sk": "REPORT#r1", "type": "HOME_VISIT_REPORT", "id": "r1", "organization_id": org_id, "activity_id": visit["id"], "content": "imported"})
    records = recorded(api.stack, org_id)
    consume(api, records)
    consume(api, records)
    after = api.call("GET", f"{URL}/{visit['id']}", mentor).body
    assert after["has_home_visit_report"] is True and after["version"] == 1


def test_duplicates_that_raced_past_the_submit_check_are_marked_after_the_write(api: Api, org_id: str):
    mentor, colleague = make_user(api, org_id), make_user(api, org_id)
    kari = api.call("POST", "/api/contacts", mentor, {"name": "Kari"}).body["id"]
    first = api.call("POST", URL, mentor, {"activity_date": "2026-11-02", "activity_type": "home_visit", "contact_id": kari}).body
    second = api.call("POST", URL, colleague, {"activity_date": "2026-11-03", "activity_type": "meeting", "contact_id": kari}).body
    far = api.call("POST", URL, colleague, {"activity_date": "2026-11-06", "activity_type": "meeting", "contact_id": kari}).body
    records = recorded(api.stack, org_id)
    consume(api, records)
    consume(api, recorded(api.stack, org_id))  # including the consumer's own writes: no loop, no change
    get = lambda a: api.call("GET", f"{URL}/{a['id']}", make_user(api, org_id, "admin")).body  # noqa: E731
    assert get(second)["duplicate_of_activity_id"] == first["id"]
    assert get(first)["duplicate_of_activity_id"] is None and get(far)["duplicate_of_activity_id"] is None
    assert get(second)["version"] == 1


def test_active_users_stay_exact_when_shards_apply_the_same_user_month_concurrently(api: Api, org_id: str):
    from concurrent.futures import ThreadPoolExecutor

    coordinator = make_user(api, org_id, "coordinator")
    a, b = make_user(api, org_id), make_user(api, org_id)
    for n, who in enumerate([a, b, a, b, a, b]):
        api.call("POST", URL, who, {"activity_date": f"2026-10-{n + 1:02d}", "activity_type": "meeting"})
    records = recorded(api.stack, org_id, entities=("ACTIVITY",))
    assert len(records) == 6
    with ThreadPoolExecutor(6) as pool:  # as if each record came from its own shard, all at once
        results = list(pool.map(lambda r: consume(api, [r]), records))
    assert all(result == {"batchItemFailures": []} for result in results)
    assert counters(org_id) == expected_counters(org_id)
    assert api.call("GET", "/api/stats/organization?year=2026", coordinator).body["months"][9]["active_users"] == 2


def test_a_later_record_seen_first_is_marked_when_the_earlier_one_arrives(api: Api, org_id: str):
    """Offline sync: the later-created activity's record is processed while the earlier one is not
    yet in the table (or not yet in gsi3); the earlier one's record then marks the later one."""
    from activity_tracker.repository.activities import ActivityItem

    mentor, colleague = make_user(api, org_id), make_user(api, org_id)
    kari = api.call("POST", "/api/contacts", mentor, {"name": "Kari"}).body["id"]
    later = api.call("POST", URL, colleague, {"activity_date": "2026-11-03", "activity_type": "meeting", "contact_id": kari}).body
    consume(api, recorded(api.stack, org_id))
    # synced from a device later, but created there before `later`: written as the sync would store it
    template = ActivityItem.get(f"ORG#{org_id}#ACT#{later['id']}", "ACT").attribute_values
    earlier = {"id": "0-synced-earlier", "activity_date": "2026-11-02T09:00:00.000Z"}
    sort_key = f"{earlier['activity_date']}#{earlier['id']}"
    ActivityItem(**{**template, **earlier, "pk": f"ORG#{org_id}#ACT#{earlier['id']}", "user_id": mentor.sub, "gsi1pk": f"ORG#{org_id}#USER#{mentor.sub}#ACT", "local_date": "2026-11-02",
                    "created_at": "2026-11-02T09:00:00.000Z", "gsi1sk": sort_key, "gsi2sk": sort_key, "gsi3sk": sort_key, "gsi4sk": sort_key}).save()  # fmt: skip
    mine = [r for r in recorded(api.stack, org_id) if earlier["id"] in r["dynamodb"]["Keys"]["pk"]["S"]]
    consume(api, mine)
    consume(api, mine)
    admin = make_user(api, org_id, "admin")
    assert api.call("GET", f"{URL}/{later['id']}", admin).body["duplicate_of_activity_id"] == earlier["id"]
    assert api.call("GET", f"{URL}/{earlier['id']}", admin).body["duplicate_of_activity_id"] is None
    assert api.call("GET", f"{URL}/{later['id']}", admin).body["version"] == 1


def test_total_classes_through_the_learning_api(api: Api, org_id: str):
    if api.stack.match("POST", "/api/classes/x/complete") is None:
        pytest.skip("the learning platform's routes are not in template.yaml")
    admin, host, guest = make_user(api, org_id, "admin"), make_user(api, org_id), make_user(api, org_id)
    booked = api.call("POST", "/api/classes", host, {"class_type": "grupal", "max_participants": 5, "scheduled_at": "2027-01-10T10:00:00Z"})
    assert booked.status == 201, booked.body
    assert api.call("POST", f"/api/classes/{booked.body['id']}/join", guest).status in (200, 201)
    assert api.call("POST", f"/api/classes/{booked.body['id']}/complete", admin).status == 200
    mine = api.call("GET", "/api/user-activities", guest).body["items"]
    assert api.call("POST", f"/api/user-activities/{mine[0]['id']}/complete", guest).status == 200  # again: counts once
    records = recorded(api.stack, org_id)
    consume(api, records)
    consume(api, records[::-1])  # redelivered, out of order
    assert [api.call("GET", "/api/stats/me", who).body["total_classes"] for who in (host, guest, admin)] == [1, 1, 0]
