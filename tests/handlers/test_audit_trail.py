"""The audit trail against the real stream (DynamoDB Local): entries written by the stream consumer
from recorded batches, exactly once under redelivery, split and failed batches; redaction; the
activity history's access; the admin's list, its filters and cursor; audit items never feed the
consumer."""

from __future__ import annotations

import json

from tests.helpers import Api, Person, make_user
from tests.stream_helpers import JOBS_WORKER, consume, counters, expected_counters, recorded

SUMMARY = "Kari was sad; her son Ola (912 34 567) visits on Sundays"
WORKER = JOBS_WORKER


def _audit_items(org_id: str) -> list[dict]:
    """Every audit item of the organization (a test-only Scan)."""
    from activity_tracker.repository.table import TABLE_NAME, connection
    from activity_tracker.stream.images import deserialize

    client, out, request = connection().client, [], {"TableName": TABLE_NAME, "FilterExpression": "#t = :audit AND organization_id = :org",
        "ExpressionAttributeNames": {"#t": "type"}, "ExpressionAttributeValues": {":audit": {"S": "AUDIT"}, ":org": {"S": org_id}}}  # fmt: skip
    while True:
        page = client.scan(**request)
        out += [deserialize(item) for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return out
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _day(api: Api, org_id: str) -> dict:
    admin, coordinator, mentor = make_user(api, org_id, "admin"), make_user(api, org_id, "coordinator"), make_user(api, org_id)
    contact = api.call("POST", "/api/contacts", mentor, {"name": "Kari Nordmann", "notes": SUMMARY}).body["id"]
    visit = api.call("POST", "/api/activities", mentor, {"activity_date": "2026-11-02", "activity_type": "home_visit", "summary": SUMMARY, "contact_id": contact}).body["id"]
    api.call("PATCH", f"/api/activities/{visit}", mentor, {"duration_minutes": 45, "summary": SUMMARY + "."})
    api.call("POST", f"/api/activities/{visit}/home-visit-report", mentor, {"content": SUMMARY})
    api.call("POST", f"/api/activities/{visit}/review", coordinator, {"action": "approve"})
    api.call("PATCH", "/api/users/me", mentor, {"telefono": "912 34 567", "nivel": "basico"})
    api.call("PATCH", "/api/organization", admin, {"timezone": "Europe/Berlin"})
    return {"admin": admin, "coordinator": coordinator, "mentor": mentor, "contact": contact, "visit": visit}


def _entries(api: Api, admin: Person, query: str = "from=2026-01-01") -> list[dict]:
    items, cursor = [], None
    while True:
        page = api.call("GET", f"/api/audit?{query}&limit=3" + (f"&cursor={cursor}" if cursor else ""), admin)
        assert page.status == 200, page.body
        items += page.body["items"]
        cursor = page.body["next_cursor"]
        if not cursor:
            return items


def test_a_day_is_audited_once_however_often_the_stream_delivers_it(api: Api, org_id: str):
    day = _day(api, org_id)
    records = recorded(api.stack, org_id)
    assert consume(api, records) == {"batchItemFailures": []}
    first = _audit_items(org_id)
    for chunk in (records, records[5:], records[:3], *[records[i : i + 2] for i in range(0, len(records), 2)]):  # redelivered, split, reordered
        assert consume(api, chunk) == {"batchItemFailures": []}
    again = _audit_items(org_id)
    assert sorted(json.dumps(i, sort_keys=True) for i in again) == sorted(json.dumps(i, sort_keys=True) for i in first)
    assert counters(org_id) == expected_counters(org_id)  # the counters' exactness is untouched

    mentor, coordinator, admin = day["mentor"].sub, day["coordinator"].sub, day["admin"].sub
    seen = [(e["actor"], e["entity"], e["action"], e["entity_id"]) for e in _entries(api, day["admin"])]
    users = [e for e in seen if e[1] == "user"]
    assert sorted(users) == sorted([
        (admin, "user", "created", admin), (coordinator, "user", "created", coordinator), (mentor, "user", "created", mentor),
        ("tests", "user", "updated", admin), ("tests", "user", "updated", coordinator),  # the roles, given by the test fixture
        (mentor, "user", "updated", mentor),
    ])  # fmt: skip
    org, report_entries = [e for e in seen if e[1] == "organization"], [e for e in seen if e[1] == "home_visit_report"]
    assert org == [(admin, "organization", "created", org_id), (admin, "organization", "updated", org_id)] and len(report_entries) == 1
    activity = [e[:3] for e in seen if e[1] in ("activity", "contact", "home_visit_report")]
    assert activity[:3] == [(mentor, "contact", "created"), (mentor, "activity", "created"), (mentor, "activity", "updated")]
    # the report and the activity's flag are one transaction: two entries, in either order within a millisecond
    assert sorted(activity[3:5]) == [(mentor, "activity", "updated"), (mentor, "home_visit_report", "created")]
    assert activity[5:] == [(coordinator, "activity", "reviewed")]
    assert len(seen) == len(users) + len(org) + len(activity)


def test_personal_text_never_reaches_an_audit_item_but_its_change_does(api: Api, org_id: str):
    day = _day(api, org_id)
    consume(api, recorded(api.stack, org_id))
    text = json.dumps(_audit_items(org_id))
    for personal in (SUMMARY, "Kari", "912 34 567", day["mentor"].email):
        assert personal not in text
    history = api.call("GET", f"/api/activities/{day['visit']}/history", day["mentor"]).body["items"]
    edit = history[1]["changes"]
    assert edit == [
        {"field": "duration_minutes", "old": 30, "new": 45, "redacted": False},
        {"field": "summary", "old": "[redacted]", "new": "[redacted]", "redacted": True},
    ]
    profile = next(e for e in _entries(api, day["admin"], "from=2026-01-01&entity=user") if e["actor"] == day["mentor"].sub and e["action"] == "updated")
    assert profile["changes"] == [
        {"field": "nivel", "old": "inicial", "new": "basico", "redacted": False},
        {"field": "telefono", "old": None, "new": "[redacted]", "redacted": True},
    ]


def test_the_history_answers_whoever_may_read_the_activity(api: Api, org_id: str):
    day = _day(api, org_id)
    consume(api, recorded(api.stack, org_id))
    path = f"/api/activities/{day['visit']}/history"
    own = api.call("GET", path, day["mentor"])
    assert own.status == 200 and [(e["entity"], e["action"], e["version"]) for e in own.body["items"]][:2] == [("activity", "created", 1), ("activity", "updated", 2)]
    assert sorted((e["entity"], e["action"], e["version"] or 0) for e in own.body["items"][2:4]) == [("activity", "updated", 3), ("home_visit_report", "created", 0)]
    assert [(e["action"], e["version"]) for e in own.body["items"][4:]] == [("reviewed", 4)]
    assert all(e["activity_id"] == day["visit"] for e in own.body["items"])
    assert api.call("GET", path, day["coordinator"]).body == own.body
    assert api.call("GET", path, make_user(api, org_id)).status == 403  # another member: as GET /api/activities/{id}
    assert api.call("GET", path, make_user(api, f"{org_id}-other", "admin")).status == 404
    paged = api.call("GET", path + "?limit=2", day["mentor"]).body
    rest = api.call("GET", path + f"?limit=10&cursor={paged['next_cursor']}", day["mentor"]).body
    assert paged["items"] + rest["items"] == own.body["items"]
    other = api.call("POST", "/api/activities", day["mentor"], {"activity_date": "2026-11-03", "activity_type": "meeting"}).body["id"]
    assert api.call("GET", f"/api/activities/{other}/history?cursor={paged['next_cursor']}", day["mentor"]).rules == ["cursor_invalid"]
    api.call("DELETE", f"/api/activities/{day['visit']}", day["coordinator"])
    consume(api, recorded(api.stack, org_id))
    assert api.call("GET", path, day["coordinator"]).status == 404
    deleted = api.call("GET", path + "?include_deleted=true", day["coordinator"]).body["items"]
    assert deleted[-1]["action"] == "deleted" and deleted[-1]["actor"] == day["coordinator"].sub


def test_the_audit_list_is_for_admins_filtered_by_actor_entity_and_time(api: Api, org_id: str):
    day = _day(api, org_id)
    consume(api, recorded(api.stack, org_id))
    for who in (day["mentor"], day["coordinator"]):
        assert api.call("GET", "/api/audit", who).status == 403
    everything = _entries(api, day["admin"])
    assert everything == sorted(everything, key=lambda e: (e["at"], e["id"]))  # oldest first
    assert api.call("GET", "/api/audit?limit=100", day["admin"]).body == {"items": everything, "next_cursor": None}  # the default: the last 30 days
    by_coordinator = _entries(api, day["admin"], f"from=2026-01-01&actor={day['coordinator'].sub}")
    assert [(e["entity"], e["action"]) for e in by_coordinator] == [("user", "created"), ("activity", "reviewed")]
    contacts = _entries(api, day["admin"], "from=2026-01-01&entity=contact")
    assert [(e["entity_id"], e["actor"]) for e in contacts] == [(day["contact"], day["mentor"].sub)]
    assert _entries(api, day["admin"], "from=2020-01-01&to=2020-12-31") == []
    page = api.call("GET", "/api/audit?limit=1", day["admin"]).body
    assert api.call("GET", f"/api/audit?limit=1&from=2020-01-01&to=2020-12-31&cursor={page['next_cursor']}", day["admin"]).rules == ["cursor_invalid"]
    assert api.call("GET", "/api/audit?limit=1&cursor=bm90LWEtY3Vyc29y", day["admin"]).rules == ["cursor_invalid"]
    assert api.call("GET", "/api/audit?from=2026-02-01&to=2026-01-01", day["admin"]).rules == ["date_range_valid"]
    assert api.call("GET", "/api/audit?entity=class", day["admin"]).rules == ["must_be_one_of"]
    stranger = make_user(api, f"{org_id}-other", "admin")
    consume(api, recorded(api.stack, f"{org_id}-other"))
    theirs = _entries(api, stranger)
    assert theirs and {e["organization_id"] for e in theirs} == {f"{org_id}-other"}


def test_a_download_link_handed_out_is_audited(api: Api, org_id: str):
    admin, mentor = make_user(api, org_id, "admin"), make_user(api, org_id)
    created = api.call("POST", "/api/activities", mentor, {"activity_date": "2026-11-02", "activity_type": "meeting"}).body
    api.call("POST", f"/api/activities/{created['id']}/review", admin, {"action": "approve"})
    export_id = api.call("POST", "/api/exports/bufdir", admin, {"period_start": "2026-11-01", "period_end": "2026-11-30"}).body["id"]
    assert consume(api, recorded(api.stack, org_id, WORKER), WORKER) == {"batchItemFailures": []}
    assert api.call("GET", "/api/exports", admin).status == 200  # a list hands out no link
    assert api.call("GET", f"/api/exports/{export_id}", admin).body["url"]
    assert api.call("GET", f"/api/exports/{export_id}", admin).body["url"]
    records = recorded(api.stack, org_id)
    consume(api, records)
    consume(api, records)
    downloads = _entries(api, admin, "from=2026-01-01&entity=export")
    assert [(e["entity_id"], e["actor"], e["action"], e["changes"]) for e in downloads] == [(export_id, admin.sub, "downloaded", [])] * 2
    assert len(recorded(api.stack, org_id, WORKER)) == 1  # the export's INSERT: a download does not wake the worker


def test_failed_audit_writes_are_batch_item_failures_and_the_retry_writes_once(api: Api, org_id: str, monkeypatch):
    from botocore.exceptions import ClientError

    from activity_tracker.repository.table import connection

    mentor = make_user(api, org_id)
    api.call("POST", "/api/contacts", mentor, {"name": "Ola"})
    records = recorded(api.stack, org_id)
    client = connection().client
    real = client._make_api_call

    def throttled(operation, kwargs):  # type: ignore[no-untyped-def]
        if operation == "BatchWriteItem":
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, operation)
        return real(operation, kwargs)

    monkeypatch.setattr(client, "_make_api_call", throttled)
    failures = consume(api, records)["batchItemFailures"]
    assert failures == [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in records] and _audit_items(org_id) == []
    monkeypatch.setattr(client, "_make_api_call", real)
    assert consume(api, records) == consume(api, records) == {"batchItemFailures": []}
    assert len(_audit_items(org_id)) == 3  # the user created, the organization created, the contact


def test_audit_items_never_reach_the_consumer(api: Api, org_id: str):
    """The event source mapping's filters let no audit item through, and the consumer writes nothing
    for one that got through anyway: no entry about an entry, no counter."""
    from local.filters import matches

    mentor = make_user(api, org_id)
    api.call("POST", "/api/activities", mentor, {"activity_date": "2026-11-02", "activity_type": "meeting"})
    consume(api, recorded(api.stack, org_id))
    written = _audit_items(org_id)
    assert written
    function = next(f for f in api.stack.functions if f.logical_id == "StreamConsumerFunction")
    everything = recorded(api.stack, org_id, "StreamConsumerFunction")
    from activity_tracker.stream.images import lambda_record

    audit_records = [_as_record(item, lambda_record) for item in written]
    assert not any(matches(p, r) for r in audit_records for p in function.streams[0].filters)
    assert consume(api, audit_records) == {"batchItemFailures": []}
    assert _audit_items(org_id) == written and counters(org_id) == expected_counters(org_id) and everything


def _as_record(item: dict, lambda_record) -> dict:  # type: ignore[no-untyped-def]
    """An audit item's INSERT, shaped as Lambda passes stream records."""
    from boto3.dynamodb.types import TypeSerializer

    image = {k: TypeSerializer().serialize(v) for k, v in item.items()}
    raw = {"eventID": f"audit-{item['sk']}", "eventName": "INSERT", "dynamodb": {"Keys": {"pk": image["pk"], "sk": image["sk"]}, "NewImage": image, "SequenceNumber": "1"}}
    return lambda_record(raw, "arn:aws:dynamodb:eu-north-1:000000000000:table/t/stream/x", "eu-north-1")
