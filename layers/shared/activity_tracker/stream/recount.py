"""Recomputes an organization's counters from its items (an operator's repair): the activity
counters from its activities and each user's `total_classes` from their user activities.

The stream consumer keeps the counters exact as long as it sees every stream record. A record it
never applied (a failed batch older than the stream's 24 hours, see docs/operations.md) leaves them
off for good; this puts them right: it reads the organization's activities, sums what each
contributes (the consumer's own `deltas.contribution`), reads the stored counter items (the
organization's months and each user's months) and rewrites only those that differ.

It must not race the consumer. It refuses (`busy`) while any activity of the organization changed
within `quiet_seconds` (default 15 minutes: a consumer whose iterator age is under its 5-minute
alarm has applied every change older than that), and every rewrite is conditioned on the counter
still holding exactly what was read, so a counter the consumer moves in between fails the
transaction and the whole recount starts again from fresh reads.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from activity_tracker import keys
from activity_tracker.stream.deltas import Deltas, contribution

QUIET_SECONDS = 15 * 60
MAX_ACTIONS = 100  # TransactWriteItems' limit
ATTEMPTS = 3
ACTIVITY_FIELDS = ("type", "organization_id", "user_id", "local_date", "duration_minutes", "activity_type", "status", "deleted_at", "updated_at")
COUNTER_KEY = tuple[str, str]


class Busy(Exception):
    """The organization's activities or counters moved while it was being recounted."""


def expected_counters(activities: Iterable[Mapping[str, Any]]) -> Deltas:
    """The counters the consumer would hold having applied every activity as it is now."""
    total: dict[COUNTER_KEY, dict[str, int]] = {}
    for activity in activities:
        for key, fields in contribution(dict(activity)).items():
            target = total.setdefault(key, {})
            for name, value in fields.items():
                target[name] = target.get(name, 0) + value
    for (pk, sk), fields in list(total.items()):  # active_users: user months with a counted activity
        if "#USER#" in pk and fields.get("activity_count", 0) > 0:
            org_month = total.setdefault((pk.split("#USER#", 1)[0], sk), {})
            org_month["active_users"] = org_month.get("active_users", 0) + 1
    return {key: nonzero for key, fields in sorted(total.items()) if (nonzero := {n: v for n, v in fields.items() if v})}


def _query(client: Any, **request: Any) -> Iterable[dict[str, Any]]:
    from activity_tracker.repository.table import query_items

    return query_items(request, client)


def _activities(client: Any, org_id: str) -> list[dict[str, Any]]:
    from activity_tracker.repository import activities

    return list(activities.of_organization(org_id, ACTIVITY_FIELDS, client))


def _user_partitions(client: Any, org_id: str) -> set[str]:
    items = _query(client, IndexName="gsi1", KeyConditionExpression="gsi1pk = :pk", ExpressionAttributeValues={":pk": {"S": keys.users_of_org(org_id)}}, ProjectionExpression="pk")
    return {item["pk"]["S"] for item in items}


def _stored_counters(client: Any, partitions: Iterable[str], user_activities: list[dict[str, Any]] | None = None) -> dict[COUNTER_KEY, dict[str, int]]:
    """Every counter of these partitions as stored: the month counters with every numeric field
    (zeros kept) and a user's `total_classes`. A user's partition is read whole, in key order:
    `PROFILE` before `STATS#…` before `UA#…`, so each counter is read before the user activities it
    counts, which are added to `user_activities` when given."""
    from activity_tracker.stream.images import deserialize

    stored: dict[COUNTER_KEY, dict[str, int]] = {}
    for pk in sorted(partitions):
        whole = "#USER#" in pk
        condition = {"KeyConditionExpression": "pk = :pk"} if whole else {"KeyConditionExpression": "pk = :pk AND begins_with(sk, :stats)"}
        values = {":pk": {"S": pk}} if whole else {":pk": {"S": pk}, ":stats": {"S": "STATS#"}}
        for item in _query(client, **condition, ExpressionAttributeValues=values, ConsistentRead=True):
            sk = item["sk"]["S"]
            if sk.startswith("STATS#"):
                stored[(pk, sk)] = {name: int(value["N"]) for name, value in item.items() if "N" in value}
            elif sk == keys.PROFILE_SK:
                stored[(pk, sk)] = {"total_classes": int(item["total_classes"]["N"])} if "N" in item.get("total_classes", {}) else {}
            elif sk.startswith(keys.USER_ACTIVITIES_PREFIX) and user_activities is not None:
                user_activities.append(deserialize(item) or {})
    return stored


def _rewrite(key: COUNTER_KEY, before: dict[str, int] | None, after: dict[str, int]) -> dict[str, Any]:
    """Set every field of the counter to `after` (0 where absent), only if it still holds `before`.
    A user's profile gets only `total_classes`, and only while it exists."""
    from activity_tracker.repository.table import TABLE_NAME

    profile = key[1] == keys.PROFILE_SK
    fields = sorted(set(before or {}) | set(after))
    names = {f"#f{n}": name for n, name in enumerate(fields)} | ({} if profile else {"#type": "type"})
    values: dict[str, Any] = {f":v{n}": {"N": str(after.get(name, 0))} for n, name in enumerate(fields)} | ({} if profile else {":counter": {"S": "COUNTER"}})
    if before is None:
        condition = "attribute_not_exists(pk)"
    else:
        checks = []
        for n, name in enumerate(fields):
            if name in before:
                values[f":b{n}"] = {"N": str(before[name])}
                checks.append(f"#f{n} = :b{n}")
            else:
                checks.append(f"attribute_not_exists(#f{n})")
        condition = " AND ".join(["attribute_exists(pk)", *checks])
    update = "SET " + ("" if profile else "#type = :counter, ") + ", ".join(f"#f{n} = :v{n}" for n in range(len(fields)))
    return {
        "Update": {
            "TableName": TABLE_NAME,
            "Key": {"pk": {"S": key[0]}, "sk": {"S": key[1]}},
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def _differs(before: dict[str, int] | None, after: dict[str, int]) -> bool:
    return {n: v for n, v in (before or {}).items() if v} != after


def _recount_once(client: Any, org_id: str, since: str) -> dict[str, Any]:
    # Counters first, activities second: a change after the counters were read either is in the
    # activities read (and, being recent, makes the recount `busy`) or moves a counter once the
    # consumer applies it, which fails the rewrite's condition, or lands on the corrected value.
    partitions = {keys.org_pk(org_id)} | _user_partitions(client, org_id)
    user_activities: list[dict[str, Any]] = []
    stored = _stored_counters(client, partitions, user_activities)
    activities = _activities(client, org_id)
    changed = [a["updated_at"] for a in activities + user_activities if str(a.get("updated_at") or "") > since]
    if changed:
        raise Busy(f"{len(changed)} activit{'y' if len(changed) == 1 else 'ies'} changed since {since} (latest {max(changed)}): the consumer may not have applied them yet")
    expected = expected_counters(activities + user_activities)
    if missing := {pk for pk, _ in expected} - partitions:  # a user the organization does not list
        stored.update(_stored_counters(client, missing))
    # never a stub profile: total_classes of a user without one is left alone, as the consumer does
    expected = {key: fields for key, fields in expected.items() if key[1] != keys.PROFILE_SK or key in stored}
    corrections = [(key, stored.get(key), expected.get(key, {})) for key in sorted(set(stored) | set(expected))]
    corrections = [(key, before, after) for key, before, after in corrections if _differs(before, after)]
    actions = [_rewrite(key, before, after) for key, before, after in corrections]
    from activity_tracker.repository.table import write_transaction

    for start in range(0, len(actions), MAX_ACTIONS):
        write_transaction(client, actions[start : start + MAX_ACTIONS])
    return {
        "organization_id": org_id,
        "status": "done",
        "activities": len(activities),
        "user_activities": len(user_activities),
        "counters": len(set(stored) | set(expected)),
        "corrected": [{"pk": key[0], "sk": key[1], "before": {n: v for n, v in (before or {}).items() if v}, "after": after} for key, before, after in corrections],
    }


def recount(org_id: str, *, quiet_seconds: int = QUIET_SECONDS, now: datetime | None = None, client: Any = None) -> dict[str, Any]:
    """Put the organization's activity counters right; `busy` when it cannot be done safely now."""
    from botocore.exceptions import ClientError

    from activity_tracker.repository.table import connection

    client = client or connection().client
    reason = ""
    for attempt in range(ATTEMPTS):
        since = ((now or datetime.now(UTC)) - timedelta(seconds=quiet_seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        try:
            return _recount_once(client, org_id, since)
        except Busy as error:
            return {"organization_id": org_id, "status": "busy", "reason": str(error)}
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("TransactionCanceledException", "TransactionConflictException"):
                raise
            reason = "counters moved while being recounted (the consumer is applying changes)"
            time.sleep(0.2 * 2**attempt)
    return {"organization_id": org_id, "status": "busy", "reason": reason}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """`{"organization_id": "o"}`, `{"organization_ids": [...]}` or `{"all_organizations": true}`;
    optional `quiet_seconds`. Organizations not reached in time are returned as `remaining`."""
    import os

    from aws_lambda_powertools import Logger

    logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "activity-tracker"))
    if event.get("all_organizations") is True:
        from activity_tracker.repository.organizations import OrganizationItem

        org_ids = [org.id for org in OrganizationItem.every_organization.query(keys.ALL_ORGANIZATIONS)]
    else:
        org_ids = [str(o) for o in (event.get("organization_ids") or ([event["organization_id"]] if event.get("organization_id") else []))]
    if not org_ids:
        return {"error": 'name organizations: {"organization_id": "..."}, {"organization_ids": [...]} or {"all_organizations": true}'}
    if malformed := [org_id for org_id in org_ids if not keys.is_safe_id(org_id)]:  # they go into keys joined with `#`
        return {"error": f"not organization ids: {malformed}"}
    quiet = int(event.get("quiet_seconds", QUIET_SECONDS))
    results, remaining = [], list(org_ids)
    while remaining:
        left = getattr(context, "get_remaining_time_in_millis", None)
        if left and left() < 60_000:
            break
        result = recount(remaining.pop(0), quiet_seconds=quiet)
        logger.info("recounted", extra={"organization": result["organization_id"], "status": result["status"], "corrected": len(result.get("corrected", []))})
        results.append(result)
    return {"results": results, "remaining": remaining}
