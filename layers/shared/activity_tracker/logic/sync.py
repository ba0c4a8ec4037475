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
from activity_tracker.conditional import version_of
from activity_tracker.errors import Conflict, Forbidden, rule_violation
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
    """(table, device id, record or None when deleted) of a raw item of the change index, read as a
    plain record (`table.reader`: no model object per item, a fraction of the CPU)."""
    from activity_tracker.repository.activities import ActivityItem
    from activity_tracker.repository.contacts import ContactItem
    from activity_tracker.repository.table import reader
    from activity_tracker.repository.user_progress import ProgressItem, TombstoneItem

    kind = raw.get("type", {}).get("S")
    if kind == "ACTIVITY":
        activity = reader(ActivityItem)(raw)
        if activity.deleted_at:
            return "activities", device_id(activity), None
        return "activities", device_id(activity), {**activity_dto(activity), "id": device_id(activity), "server_id": activity.id}
    if kind == "CONTACT":
        contact = reader(ContactItem)(raw)
        if contact.deleted_at:
            return "contacts", contact.id, None
        return "contacts", contact.id, {**contact_dto(contact), "server_id": contact.id}
    if kind == "PROGRESS":
        row = reader(ProgressItem)(raw)
        return "user_progress", row.id, {**progress_dto(row), "server_id": row.id}
    if kind == "TOMBSTONE":
        tombstone = reader(TombstoneItem)(raw)
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


# ---------------------------------------------------------------- push
PUSH_MAX_RECORDS = 100
PUSHED = {"activities": ("created", "updated", "deleted"), "contacts": ("created", "updated", "deleted"), "user_progress": ()}


def _bad(field: str, rule: str, message: str) -> Exception:
    return rule_violation(field, rule, message)


def _changes_of(raw: dict[str, Any]) -> dict[str, dict[str, list[Any]]]:
    """The pushed changes, shaped as WatermelonDB's; a change this API does not take is 400."""
    out: dict[str, dict[str, list[Any]]] = {}
    for table, changes in raw.items():
        if table not in PUSHED:
            raise _bad(f"changes.{table}", "sync_table_unknown", f"tables are {', '.join(PUSHED)}")
        if not isinstance(changes, dict) or any(k not in ("created", "updated", "deleted") or not isinstance(v, list) for k, v in changes.items()):
            raise _bad(f"changes.{table}", "sync_changes_shape", "must be {created: [...], updated: [...], deleted: [...]}")
        for kind, records in changes.items():
            if records and kind not in PUSHED[table]:
                raise _bad(f"changes.{table}.{kind}", "sync_change_not_supported", f"{table} takes {', '.join(PUSHED[table]) or 'no changes'} from devices; use the REST routes")
        out[table] = {kind: list(changes.get(kind) or []) for kind in ("created", "updated", "deleted")}
    if sum(len(v) for changes in out.values() for v in changes.values()) > PUSH_MAX_RECORDS:
        from activity_tracker.errors import PayloadTooLarge

        raise PayloadTooLarge(f"A push holds at most {PUSH_MAX_RECORDS} records; push in several calls.")
    return out


def _record_id(record: Any, field: str, *, whole: bool = True) -> str:
    """The device id of a pushed record (`whole`: a record object; else the id itself, as `deleted` lists them)."""
    from activity_tracker.keys import is_safe_id

    if whole and not isinstance(record, dict):
        raise _bad(field, "sync_record_shape", "a created or updated record is a JSON object")
    value = record.get("id") if whole else record
    if not is_safe_id(value):
        raise _bad(field, "id_format", "a record's id must be letters, digits, '-', '_', '.' or '@', at most 128")
    return str(value)


def _find_activity(org_id: str, device_id: str) -> Any:
    """The activity a device names: by its local_id, else by the server's id."""
    from activity_tracker.repository import activities as repo

    holder = repo.guarded_activity_id(repo.LocalIdGuard, keys.local_id_guard(org_id, device_id), keys.LOCAL_ID_SK)
    return repo.get(org_id, holder or device_id)


def _changed_since(item: Any, since: int, record: dict[str, Any] | None, field: str) -> None:
    """409 when the server's record changed after the device's last pull: by `version` when the
    device sends the one it holds; else (a deletion) by the change time of the index against the
    start of that pull (`last_pulled_at` + the window): a change stamped before it was, but for a
    late commit, in that pull (docs/decisions.md, Offline sync)."""
    version = record.get("version") if record else None
    if isinstance(version, int) and not isinstance(version, bool):
        changed = version_of(item) != version
    else:
        changed = (item.gsi5sk or "") > moment_of(since + SAFETY_WINDOW_MS)
    if changed:
        raise Conflict(
            "A record changed on the server since your last pull: pull, then push again.",
            [{"field": field, "rule": "changed_since_last_pull", "message": "pull first"}],
        )


def _owned(user: Any, item: Any, field: str) -> None:
    from activity_tracker.vocabulary import REVIEWER_ROLES

    if user.role not in REVIEWER_ROLES and item.user_id != user.id:
        raise rule_violation(field, "local_id_unique_per_org", "This record is not yours.", status=403)


def push_changes(request: Request, user: Any) -> dict[str, Any]:
    """Check every pushed record first (shape, fields, ownership, conflicts), then apply them in
    order with the REST routes' logic. Every step is idempotent, so a push may be sent again."""
    from activity_tracker.logic import activities as logic
    from activity_tracker.logic.contacts import edit_contact, may_change, new_contact, remove_contact
    from activity_tracker.models.activity import ActivityCreate, ActivityPatch
    from activity_tracker.models.base import parse
    from activity_tracker.models.contact import ContactCreate, ContactPatch
    from activity_tracker.repository import contacts

    since, org_id = request.params.last_pulled_at, request.caller.org_id
    changes = _changes_of(request.body.changes)
    creatable = [n for n in ActivityCreate.model_fields if n != "local_id"]
    editable = [n for n in ActivityPatch.model_fields if n not in ("version", "bufdir_excluded")]
    plan: list[tuple[str, Any, Any]] = []
    activities = changes.get("activities", {"created": [], "updated": [], "deleted": []})

    def creation(record: dict[str, Any], device_id: str, field: str) -> Any:
        data = {n: record[n] for n in creatable if record.get(n) is not None}
        return parse(ActivityCreate, {**data, "local_id": device_id}, prefix=field + ".")

    for kind in ("created", "updated"):
        for index, record in enumerate(activities[kind]):
            field = f"changes.activities.{kind}.{index}"
            device_id = _record_id(record, field + ".id")
            item = _find_activity(org_id, device_id)
            if item is None:  # created, or updated on a device that never pushed it: create it
                plan.append(("create", creation(record, device_id, field), field))
                continue
            _owned(user, item, field + ".id")
            stored = activity_dto(item)
            diff = {n: record[n] for n in editable if n in record and record[n] != stored[n]}
            if kind == "created" or not diff:  # a replay of what the server holds already
                continue
            _changed_since(item, since, record, field)
            plan.append(("edit", item, parse(ActivityPatch, diff, prefix=field + ".")))
    for index, record in enumerate(activities["deleted"]):
        field = f"changes.activities.deleted.{index}"
        item = _find_activity(org_id, _record_id(record, field, whole=False))
        if item is None or item.deleted_at:  # unknown or deleted already: nothing to do
            continue
        _owned(user, item, field)
        _changed_since(item, since, None, field)
        plan.append(("delete", item, field))
    pushed_contacts = changes.get("contacts", {"created": [], "updated": [], "deleted": []})
    contacts_first: list[tuple[str, Any, Any]] = []
    contacts_last: list[tuple[str, Any, Any]] = []
    for kind in ("created", "updated"):
        for index, record in enumerate(pushed_contacts[kind]):
            field = f"changes.contacts.{kind}.{index}"
            contact_id = _record_id(record, field + ".id")
            existing = contacts.get(org_id, contact_id)
            if existing is None:  # created, or updated on a device that never pushed it: create it
                body = parse(ContactCreate, {n: record[n] for n in ("name", "notes") if record.get(n) is not None}, prefix=field + ".")
                contacts_first.append(("contact", (contact_id, body), field))
                continue
            if kind == "created" and existing.created_by_user_id != user.id:
                raise Conflict("Another contact has this id.", [{"field": field + ".id", "rule": "id_unique_per_org", "message": "choose another id"}])
            if existing.deleted_at:
                if kind == "created":  # a replay of a contact created, then deleted: nothing to do
                    continue
                raise Conflict("The contact was deleted on the server: pull, then push again.", [{"field": field, "rule": "changed_since_last_pull", "message": "pull first"}])
            stored = contact_dto(existing)
            diff = {n: record[n] for n in ("name", "notes") if n in record and record[n] != stored[n]}
            if kind == "created" or not diff:  # a replay of what the server holds already
                continue
            if not may_change(user, existing):
                raise Forbidden("Only whoever created a contact, or a coordinator or admin, may change it.")
            _changed_since(existing, since, record, field)
            contacts_first.append(("contact_edit", existing, parse(ContactPatch, {**diff, "version": version_of(existing)}, prefix=field + ".")))  # written only if still at it
    for index, record in enumerate(pushed_contacts["deleted"]):
        field = f"changes.contacts.deleted.{index}"
        existing = contacts.get(org_id, _record_id(record, field, whole=False))
        if existing is None or existing.deleted_at:  # unknown or deleted already: nothing to do
            continue
        if not may_change(user, existing):
            raise Forbidden("Only whoever created a contact, or a coordinator or admin, may delete it.")
        _changed_since(existing, since, None, field)
        contacts_last.append(("contact_delete", existing, field))
    # contacts are created and edited before the activities that may name them, deleted after them
    plan = contacts_first + plan + contacts_last

    counts = {table: {"created": 0, "updated": 0, "deleted": 0} for table in ("activities", "contacts")}
    for action, subject, detail in plan:
        if action == "create":
            _, _, created = logic.register(org_id, user, subject, field_prefix=detail + ".")
            counts["activities"]["created"] += int(created)
        elif action == "edit":
            logic.edit_activity(org_id, user, subject, detail)
            counts["activities"]["updated"] += 1
        elif action == "delete":
            logic.soft_delete(user, subject)
            counts["activities"]["deleted"] += 1
        elif action == "contact_edit":
            edit_contact(user, subject, detail)
            counts["contacts"]["updated"] += 1
        elif action == "contact_delete":
            remove_contact(user, subject, version=version_of(subject))  # deleted only if still as checked
            counts["contacts"]["deleted"] += 1
        else:
            from pynamodb.exceptions import PutError

            try:
                new_contact(org_id, user, subject[1], subject[0])
                counts["contacts"]["created"] += 1
            except PutError as error:  # the same push, applied meanwhile by a retry
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise
    return {table: counts[table] for table in counts}
