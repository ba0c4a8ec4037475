"""Bare boto3 twins of our hot handlers, for `tests/bench/cpu.py` (not a benchmark module itself).

Each twin does the job of one route as a hand-written Lambda handler would with the least it needs:
boto3's low-level DynamoDB client created once per container, the caller's user read with one
GetItem, the DynamoDB calls the job cannot do without (a Query of exactly the page, no filter; a
PutItem where one item is written), boto3's TypeDeserializer/TypeSerializer, input checked by hand,
json.dumps. They answer the same bodies as our handlers for the requests the bench sends; they are
not a second implementation of the API (no error bodies, no cursors checked, no pydantic).

The module imports nothing but the standard library and boto3 at the top, as a bare handler
would: a cold start of a twin (python -c, see cpu.py) pays for boto3 only.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import boto3

_client: Any = None
TABLE = os.environ.get("TABLE_NAME", "activity-tracker")
ACTIVITY_FIELDS = (
    "id", "organization_id", "user_id", "registered_by_user_id", "activity_date", "local_date", "duration_minutes", "activity_type", "summary",
    "contact_id", "is_group_activity", "participant_count", "is_proxy_registration", "is_bulk_registration", "status",
    "reviewed_by_user_id", "reviewed_at", "rejection_reason", "duplicate_of_activity_id", "calendar_event_uid",
    "has_home_visit_report", "bufdir_eligible", "bufdir_excluded", "local_id", "created_at", "updated_at", "deleted_at", "version",
)  # fmt: skip
USER_FIELDS = ("id", "email", "name", "image", "localidad", "telefono", "nivel", "active", "newsletter", "total_classes", "role", "organization_id", "created_at", "updated_at")
CONTACT_FIELDS = ("id", "organization_id", "name", "notes", "created_by_user_id", "created_at", "updated_at")
CLASS_FIELDS = ("id", "organization_id", "host_id", "class_type", "max_participants", "current_participants", "participant_ids", "status", "scheduled_at", "title", "task_ids", "created_at", "updated_at")  # fmt: skip
EXPORT_FIELDS = ("id", "organization_id", "status", "period_start", "period_end", "format", "row_count", "summary", "error", "requested_by_user_id", "scheduled", "created_at", "updated_at", "finished_at")  # fmt: skip
ACTIVITY_TYPES = ("home_visit", "phone_call", "meeting", "group_activity", "course", "other")


def client() -> Any:
    global _client
    if _client is None:
        _client = boto3.client("dynamodb")
    return _client


_deserializer: Any = None
_serializer: Any = None


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """A raw item as Python values (TypeDeserializer; numbers as int, sets as sorted lists)."""
    global _deserializer
    if _deserializer is None:
        from boto3.dynamodb.types import TypeDeserializer

        _deserializer = TypeDeserializer()
    out = {}
    for name, value in item.items():
        value = _deserializer.deserialize(value)
        if type(value).__name__ == "Decimal":
            value = int(value) if value == value.to_integral_value() else float(value)
        elif isinstance(value, set):
            value = sorted(value)
        out[name] = value
    return out


def raw(item: dict[str, Any]) -> dict[str, Any]:
    global _serializer
    if _serializer is None:
        from boto3.dynamodb.types import TypeSerializer

        _serializer = TypeSerializer()
    return {name: _serializer.serialize(value) for name, value in item.items() if value is not None}


def answer(status: int, body: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body, separators=(",", ":"))}


def caller(event: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(org id, user id, user item): the one GetItem every route pays."""
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    org, sub = claims["custom:org_id"], claims["sub"]
    user = client().get_item(TableName=TABLE, Key={"pk": {"S": f"ORG#{org}#USER#{sub}"}, "sk": {"S": "PROFILE"}}).get("Item")
    if not user or not user.get("active", {}).get("BOOL", True):
        raise PermissionError
    return org, sub, user


def pick(item: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: item.get(name) for name in fields}


def cursor(page: dict[str, Any]) -> str | None:
    key = page.get("LastEvaluatedKey")
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps({k: v["S"] for k, v in key.items()}, separators=(",", ":"), sort_keys=True).encode()).decode().rstrip("=")


def query_page(partition_index: str, partition: str, limit: int, forward: bool) -> tuple[list[dict[str, Any]], str | None]:
    page = client().query(
        TableName=TABLE, IndexName=partition_index, KeyConditionExpression="#p = :p", ExpressionAttributeNames={"#p": f"{partition_index}pk"},
        ExpressionAttributeValues={":p": {"S": partition}}, ScanIndexForward=forward, Limit=limit,
    )  # fmt: skip
    return [plain(item) for item in page["Items"]], cursor(page) if len(page["Items"]) == limit else None


def limit_of(event: dict[str, Any]) -> int:
    return int((event.get("queryStringParameters") or {}).get("limit", 25))


# ---------------------------------------------------------------- users, stats
def users_me_get(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _, _, user = caller(event)
    return answer(200, pick(plain(user), USER_FIELDS))


def stats_me(event: dict[str, Any], context: Any) -> dict[str, Any]:
    org, sub, user = caller(event)
    year = int((event.get("queryStringParameters") or {})["year"])
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    keys = [{"pk": {"S": f"ORG#{org}#USER#{sub}"}, "sk": {"S": f"STATS#{month}"}} for month in months]
    found = {}
    for item in client().batch_get_item(RequestItems={TABLE: {"Keys": keys, "ConsistentRead": True}})["Responses"][TABLE]:
        item = plain(item)
        found[item["sk"][6:]] = item
    out = []
    for month in months:
        counter = found.get(month, {})
        by_type = {name[5:]: value for name, value in sorted(counter.items()) if name.startswith("type_") and value}
        out.append({"month": month, "activity_count": counter.get("activity_count", 0), "duration_minutes": counter.get("duration_minutes", 0), "by_type": by_type})
    return answer(200, {"year": year, "months": out, "total_classes": int(user.get("total_classes", {}).get("N", "0"))})


# ---------------------------------------------------------------- activities
def activities_list(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A member's own activities, newest first: GSI1, exactly the page."""
    org, sub, _ = caller(event)
    items, next_cursor = query_page("gsi1", f"ORG#{org}#USER#{sub}#ACT", limit_of(event), False)
    return answer(200, {"items": [pick(item, ACTIVITY_FIELDS) for item in items], "next_cursor": next_cursor})


def _activity(org: str, activity_id: str) -> dict[str, Any]:
    return plain(client().get_item(TableName=TABLE, Key={"pk": {"S": f"ORG#{org}#ACT#{activity_id}"}, "sk": {"S": "ACT"}}, ConsistentRead=True)["Item"])


def activities_get(event: dict[str, Any], context: Any) -> dict[str, Any]:
    org, sub, _ = caller(event)
    item = _activity(org, event["pathParameters"]["id"])
    if item.get("deleted_at") or item["user_id"] != sub:
        return answer(404, {})
    return answer(200, pick(item, ACTIVITY_FIELDS))


def _organization(org: str) -> dict[str, Any]:
    item = plain(client().get_item(TableName=TABLE, Key={"pk": {"S": f"ORG#{org}"}, "sk": {"S": "ORG"}})["Item"])
    item["activity_type_categories"] = json.loads(item.get("activity_type_categories") or "{}")  # stored as a JSON string
    return item


def _checked(body: dict[str, Any]) -> None:
    """By hand: the types and ranges of the fields the bench sends."""
    if body.get("activity_type", "meeting") not in ACTIVITY_TYPES:
        raise ValueError("activity_type")
    duration = body.get("duration_minutes", 30)
    if not isinstance(duration, int) or isinstance(duration, bool) or not 0 < duration <= 1440:
        raise ValueError("duration_minutes")
    if not isinstance(body.get("summary", ""), (str, type(None))):
        raise ValueError("summary")


def _eligible(item: dict[str, Any], org: dict[str, Any]) -> bool:
    category = (org.get("activity_type_categories") or {}).get(item["activity_type"])
    if org.get("is_test_organization") or item.get("bufdir_excluded") or category is None:
        return False
    if category == "group" and ((item.get("participant_count") or 0) < 3 or item["duration_minutes"] < 45):
        return False
    return not (category == "peer_course" and item["duration_minutes"] < 90)


def _new_activity(org_id: str, sub: str, body: dict[str, Any], org: dict[str, Any]) -> dict[str, Any]:
    import uuid
    from datetime import UTC, date, datetime, time
    from zoneinfo import ZoneInfo

    _checked(body)
    zone = ZoneInfo(org.get("timezone") or "Europe/Oslo")
    raw_date = body["activity_date"]
    local = datetime.combine(date.fromisoformat(raw_date), time(0, 0), tzinfo=zone) if len(raw_date) == 10 else datetime.fromisoformat(raw_date).astimezone(zone)
    moment = local.astimezone(UTC)
    if moment > datetime.now(UTC):
        raise ValueError("activity_date_not_in_future")
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    activity_date = moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    activity_id = str(uuid.uuid4())
    item = {
        "id": activity_id, "organization_id": org_id, "user_id": sub, "registered_by_user_id": sub, "activity_date": activity_date,
        "local_date": local.date().isoformat(), "duration_minutes": body.get("duration_minutes", 30), "activity_type": body["activity_type"],
        "summary": body.get("summary"), "contact_id": None, "is_group_activity": False, "participant_count": None,
        "is_proxy_registration": False, "is_bulk_registration": False, "status": "under_review", "reviewed_by_user_id": None,
        "reviewed_at": None, "rejection_reason": None, "duplicate_of_activity_id": None, "calendar_event_uid": None,
        "has_home_visit_report": False, "bufdir_excluded": False, "local_id": body.get("local_id"), "registration_mode": "quick",
        "created_at": stamp, "updated_at": stamp, "deleted_at": None, "version": 1,
    }  # fmt: skip
    item["bufdir_eligible"] = _eligible(item, org)
    return item


def _indexed(org_id: str, item: dict[str, Any]) -> dict[str, Any]:
    by_date = f"{item['activity_date']}#{item['id']}"
    return {
        "pk": f"ORG#{org_id}#ACT#{item['id']}", "sk": "ACT", "type": "ACTIVITY", **item,
        "gsi1pk": f"ORG#{org_id}#USER#{item['user_id']}#ACT", "gsi1sk": by_date, "gsi2pk": f"ORG#{org_id}#ACT", "gsi2sk": by_date,
        "gsi4pk": f"ORG#{org_id}#STATUS#{item['status']}", "gsi4sk": by_date,
    }  # fmt: skip


def activities_create(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """No contact, no local_id: the organization (time zone, Bufdir categories), then one conditional PutItem."""
    org_id, sub, _ = caller(event)
    body = json.loads(event["body"])
    item = _new_activity(org_id, sub, body, _organization(org_id))
    client().put_item(TableName=TABLE, Item=raw(_indexed(org_id, item)), ConditionExpression="attribute_not_exists(pk)")
    return answer(201, {**pick(item, ACTIVITY_FIELDS), "warnings": []})


def activities_patch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The stored item (consistent), the organization (Bufdir eligibility), one PutItem conditioned on the version read."""
    from datetime import UTC, datetime

    org_id, sub, _ = caller(event)
    body = json.loads(event["body"])
    _checked(body)
    item = _activity(org_id, event["pathParameters"]["id"])
    if item.get("deleted_at") or item["user_id"] != sub or item["status"] == "approved":
        return answer(403, {})
    new = {**item, **body, "version": item["version"] + 1, "updated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"}
    new["bufdir_eligible"] = _eligible(new, _organization(org_id))
    client().put_item(TableName=TABLE, Item=raw(new), ConditionExpression="version = :v", ExpressionAttributeValues={":v": {"N": str(item["version"])}})
    return answer(200, pick(new, ACTIVITY_FIELDS))


def activities_sync(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """New items with local_ids: one BatchGetItem of their guards, the organization, then per item one
    TransactWriteItems (activity and its local_id guard, both conditional)."""
    org_id, sub, _ = caller(event)
    items = json.loads(event["body"])["items"]
    guards = [{"pk": {"S": f"ORG#{org_id}#LOCAL#{it['local_id']}"}, "sk": {"S": "LOCAL"}} for it in items]
    known = client().batch_get_item(RequestItems={TABLE: {"Keys": guards, "ConsistentRead": True}})["Responses"][TABLE]
    assert not known, "the bench syncs new items"
    org = _organization(org_id)
    results = []
    for body in items:
        item = _new_activity(org_id, sub, body, org)
        guard = {"pk": f"ORG#{org_id}#LOCAL#{item['local_id']}", "sk": "LOCAL", "type": "LOCAL_ID", "activity_id": item["id"]}
        client().transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": raw(_indexed(org_id, item)), "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Put": {"TableName": TABLE, "Item": raw(guard), "ConditionExpression": "attribute_not_exists(pk)"}},
            ]
        )
        results.append({"local_id": item["local_id"], "outcome": "created", "activity": pick(item, ACTIVITY_FIELDS), "warnings": []})
    return answer(200, {"results": results})


# ---------------------------------------------------------------- contacts, classes, exports
def contacts_list(event: dict[str, Any], context: Any) -> dict[str, Any]:
    org, _, _ = caller(event)
    items, next_cursor = query_page("gsi2", f"ORG#{org}#CONTACTS", limit_of(event), True)
    return answer(200, {"items": [pick(item, CONTACT_FIELDS) for item in items], "next_cursor": next_cursor})


def classes_list(event: dict[str, Any], context: Any) -> dict[str, Any]:
    org, _, _ = caller(event)
    items, next_cursor = query_page("gsi2", f"ORG#{org}#CLASSES", limit_of(event), True)
    out = []
    for item in items:
        klass = pick(item, CLASS_FIELDS)
        klass["participant_ids"], klass["task_ids"] = klass["participant_ids"] or [], klass["task_ids"] or []
        out.append(klass)
    return answer(200, {"items": out, "next_cursor": next_cursor})


_s3: Any = None


def exports_get(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The export (consistent read) and, once done, a presigned link to its file."""
    global _s3
    org, _, user = caller(event)
    if user["role"]["S"] not in ("coordinator", "admin"):
        return answer(403, {})
    item = client().get_item(TableName=TABLE, Key={"pk": {"S": f"ORG#{org}#EXPORT#{event['pathParameters']['id']}"}, "sk": {"S": "EXPORT"}}, ConsistentRead=True)["Item"]
    item = plain(item)
    out = pick(item, EXPORT_FIELDS)
    if isinstance(out["summary"], str):
        out["summary"] = json.loads(out["summary"])
    if item["status"] == "done":
        if _s3 is None:
            _s3 = boto3.client("s3")
        out["url"] = _s3.generate_presigned_url("get_object", Params={"Bucket": os.environ["EXPORTS_BUCKET"], "Key": item["s3_key"]}, ExpiresIn=900)
    return answer(200, out)
