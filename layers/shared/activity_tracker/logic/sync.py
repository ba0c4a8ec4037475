"""Offline sync, WatermelonDB's protocol: `GET /api/sync/pull` answers what changed since the device's
last pull (docs/data-model.md, Offline sync, argues why nothing is missed)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from activity_tracker import keys
from activity_tracker.api import Request
from activity_tracker.clock import iso, now
from activity_tracker.errors import Conflict, rule_violation
from activity_tracker.models.activity import activity_dto
from activity_tracker.models.contact import contact_dto
from activity_tracker.models.sync import PullQuery
from activity_tracker.models.user_progress import progress_dto
from activity_tracker.pagination import decode_cursor, encode_cursor

# A write stamps its change time before it commits, on its own Lambda's clock; a pull must still
# meet it next time. The answered `timestamp` lags the pull's start by this much, which covers a
# write's whole life (the functions' 10 s timeout), clock skew between Lambdas and the index's
# propagation delay, with a wide margin.
SAFETY_WINDOW_MS = 60_000
TOMBSTONE_DAYS = 90  # how long deletions are kept for devices (progress tombstones' TTL)
TOMBSTONE_MS = TOMBSTONE_DAYS * 86_400_000
PAGE_RECORDS = 200  # records per answer: at most ~200 x 10 KB, far under Lambda's 6 MB
TABLES = ("activities", "contacts", "user_progress")
INDEX_KEYS = ("pk", "sk", "gsi5pk", "gsi5sk")


class ResyncRequired(Conflict):
    code = "resync_required"


def now_ms() -> int:
    return int(now().timestamp() * 1000)


def moment_of(ms: int) -> str:
    """The ISO 8601 form of a pull timestamp, as change times are stored (`gsi5sk` starts with it)."""
    return iso(datetime.fromtimestamp(ms / 1000, UTC))


def device_id(item: Any) -> str:
    """The id the device knows a record by: the `local_id` it gave, else the server's id."""
    return getattr(item, "local_id", None) or item.id


def _partitions(org_id: str, user_id: str) -> list[str]:
    """The change partitions of a mentor's device: their own records, then the organization's contacts."""
    return [keys.changes_of_user(org_id, user_id), keys.changes_of_org(org_id)]


def _record(raw: dict[str, Any]) -> tuple[str, str, dict[str, Any] | None] | None:
    """(table, device id, record or None when deleted) of a raw item of the change index."""
    from activity_tracker.repository.activities import ActivityItem
    from activity_tracker.repository.contacts import ContactItem
    from activity_tracker.repository.user_progress import ProgressItem, TombstoneItem

    kind = raw.get("type", {}).get("S")
    if kind == "ACTIVITY":
        activity = ActivityItem.from_raw_data(raw)
        if activity.deleted_at:
            return "activities", device_id(activity), None
        return "activities", device_id(activity), {**activity_dto(activity), "id": device_id(activity), "server_id": activity.id}
    if kind == "CONTACT":
        contact = ContactItem.from_raw_data(raw)
        return "contacts", contact.id, {**contact_dto(contact), "server_id": contact.id}
    if kind == "PROGRESS":
        row = ProgressItem.from_raw_data(raw)
        return "user_progress", row.id, {**progress_dto(row), "server_id": row.id}
    if kind == "TOMBSTONE":
        tombstone = TombstoneItem.from_raw_data(raw)
        return tombstone.table_name, tombstone.record_id, None
    return None


def _decode(cursor: str, since: int, partitions: list[str]) -> tuple[int, int, dict[str, str] | None]:
    """(partition index, timestamp, start key) of a pull's cursor, checked like every cursor."""
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        part, stamp, sent_since, key = int(state["part"]), int(state["timestamp"]), int(state["since"]), state["key"]
    except (ValueError, binascii.Error, UnicodeDecodeError, KeyError, TypeError):
        raise rule_violation("query.cursor", "cursor_invalid", "The cursor is not one this pull gave out.") from None
    if sent_since != since or not 0 <= part < len(partitions):
        raise rule_violation("query.cursor", "cursor_invalid", "The cursor belongs to a pull with another last_pulled_at.")
    start = decode_cursor(encode_cursor(key), INDEX_KEYS, ("gsi5pk", partitions[part])) if key else None
    return part, stamp, start


def pull_changes(request: Request, user: Any) -> dict[str, Any]:
    from activity_tracker.repository.table import TABLE_NAME, connection

    query: PullQuery = request.params
    since, current = query.last_pulled_at, now_ms()
    if since and since < current - TOMBSTONE_MS:
        raise ResyncRequired(
            f"Deletions are kept {TOMBSTONE_DAYS} days: pull everything again (last_pulled_at=0) and replace the local copy.",
            [{"field": "query.last_pulled_at", "rule": "resync_required", "message": f"older than {TOMBSTONE_DAYS} days"}],
        )
    partitions = _partitions(request.caller.org_id, user.id)
    part, timestamp, start = _decode(query.cursor, since, partitions) if query.cursor else (0, current - SAFETY_WINDOW_MS, None)
    changes: dict[str, dict[str, Any]] = {table: {"created": [], "updated": [], "deleted": []} for table in TABLES}
    count = 0
    client = connection().client
    while part < len(partitions) and count < PAGE_RECORDS:
        request_args: dict[str, Any] = {
            "TableName": TABLE_NAME, "IndexName": "gsi5", "Limit": PAGE_RECORDS - count,
            "KeyConditionExpression": "gsi5pk = :p", "ExpressionAttributeValues": {":p": {"S": partitions[part]}},
        }  # fmt: skip
        if since:
            request_args["KeyConditionExpression"] += " AND gsi5sk >= :since"
            request_args["ExpressionAttributeValues"][":since"] = {"S": moment_of(since)}
        if start:
            request_args["ExclusiveStartKey"] = {name: {"S": value} for name, value in start.items()}
        page = client.query(**request_args)
        for raw in page.get("Items", []):
            count += 1
            found = _record(raw)
            if found is None:
                continue
            table, record_id, record = found
            if record is None:
                if since:  # a first pull has nothing to delete
                    changes[table]["deleted"].append(record_id)
            else:
                changes[table]["created" if not since else "updated"].append(record)
        last = page.get("LastEvaluatedKey")
        if last:
            start = {name: last[name]["S"] for name in INDEX_KEYS}
        else:
            part, start = part + 1, None
    has_more = part < len(partitions)
    cursor = None
    if has_more:
        state = {"part": part, "timestamp": timestamp, "since": since, "key": start}
        cursor = base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")
    return {"changes": changes, "timestamp": timestamp, "has_more": has_more, "cursor": cursor}
