"""Per-record effects of the consumer. Each is idempotent: a redelivered record changes nothing more.

System writes here do not bump an activity's `version`: a client's optimistic lock must not fail
because of a background flag (docs/decisions.md).
"""

from __future__ import annotations

from typing import Any

from activity_tracker import keys
from activity_tracker.repository.table import TABLE_NAME, connection
from activity_tracker.rules.activities import local_day_window
from activity_tracker.stream.images import Change

SYSTEM_FIELDS = frozenset({"duplicate_of_activity_id", "has_home_visit_report", "gsi5sk"})  # gsi5sk: the change stamp


def _update(key: dict[str, Any], expression: str, condition: str, names: dict[str, str], values: dict[str, Any]) -> bool:
    from botocore.exceptions import ClientError

    try:
        connection().client.update_item(
            TableName=TABLE_NAME, Key=key, UpdateExpression=expression, ConditionExpression=condition,
            ExpressionAttributeNames=names, ExpressionAttributeValues=values,
        )  # fmt: skip
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def mark_home_visit_report(change: Change) -> bool:
    """A report was written: its activity's `has_home_visit_report` becomes true (if not already)."""
    report = change.new
    if change.old is not None or not report:
        return False
    key = {"pk": {"S": keys.activity_pk(report["organization_id"], report["activity_id"])}, "sk": {"S": keys.ACTIVITY_SK}}
    from activity_tracker.clock import now_iso

    stamp = {"S": keys.change_sk(now_iso(), report["activity_id"])}
    return _update(key, "SET #f = :true, gsi5sk = :changed", "attribute_exists(pk) AND #f <> :true", {"#f": "has_home_visit_report"}, {":true": {"BOOL": True}, ":changed": stamp})


def _only_system_change(change: Change) -> bool:
    if change.old is None or change.new is None:
        return False
    fields = set(change.old) | set(change.new)
    return all(change.old.get(f) == change.new.get(f) for f in fields - SYSTEM_FIELDS)


def recheck_duplicates(change: Change) -> list[tuple[str, str]]:
    """Same organization and contact, within ±1 local day, live: every later record points to the
    earliest created one of its own ±1 day window. Returns the (activity, duplicate_of) pairs set.

    The whole neighbourhood is settled from each record, not just the record itself, so the result
    does not depend on the order records are processed in: when the later activity's record was
    processed before the earlier one was visible in gsi3 (offline sync, concurrent writers, GSI
    lag), the earlier one's record marks the later one.
    """
    activity = change.new
    if not activity or activity.get("deleted_at") or not activity.get("contact_id") or _only_system_change(change):
        return []
    from activity_tracker.repository.activities import ActivityItem

    org = activity["organization_id"]
    # activity_date is UTC and local_date is up to 14 h away from it: read 3 days each side (one
    # Query), then decide on local dates only (±1 around this record, ±1 around each neighbour).
    wide_from, wide_to = local_day_window(activity["local_date"], 3)
    partition = keys.activities_of_contact(org, activity["contact_id"])
    live = {
        item.id: (item.local_date, item.created_at, item.duplicate_of_activity_id)
        for item in ActivityItem.by_contact.query(partition, ActivityItem.gsi3sk.between(wide_from, wide_to + "~"))
        if not item.deleted_at
    }
    live[activity["id"]] = (activity["local_date"], activity["created_at"], activity.get("duplicate_of_activity_id"))
    first, last = local_day_window(activity["local_date"], 1)
    marked = []
    for activity_id, (local_date, _, current) in sorted(live.items()):
        if not first <= local_date <= last:
            continue
        low, high = local_day_window(local_date, 1)
        window = [(created, other) for other, (day, created, _) in live.items() if low <= day <= high]
        earliest = min(window)[1]
        if earliest == activity_id or current == earliest:
            continue
        key = {"pk": {"S": keys.activity_pk(org, activity_id)}, "sk": {"S": keys.ACTIVITY_SK}}
        condition = "attribute_exists(pk) AND (attribute_not_exists(#f) OR #f <> :id)"
        from activity_tracker.clock import now_iso

        stamp = {"S": keys.change_sk(now_iso(), activity_id)}  # devices pull the change (offline sync)
        if _update(key, "SET #f = :id, gsi5sk = :changed", condition, {"#f": "duplicate_of_activity_id"}, {":id": {"S": earliest}, ":changed": stamp}):
            marked.append((activity_id, earliest))
    return marked
