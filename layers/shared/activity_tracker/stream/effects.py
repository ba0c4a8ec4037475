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

SYSTEM_FIELDS = frozenset({"duplicate_of_activity_id", "has_home_visit_report"})


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
    return _update(key, "SET #f = :true", "attribute_exists(pk) AND #f <> :true", {"#f": "has_home_visit_report"}, {":true": {"BOOL": True}})


def _only_system_change(change: Change) -> bool:
    if change.old is None or change.new is None:
        return False
    fields = set(change.old) | set(change.new)
    return all(change.old.get(f) == change.new.get(f) for f in fields - SYSTEM_FIELDS)


def recheck_duplicates(change: Change) -> str | None:
    """Same organization and contact, within ±1 local day, live: the later record points to the
    earliest created one. Returns the id it set, if any."""
    activity = change.new
    if not activity or activity.get("deleted_at") or not activity.get("contact_id") or _only_system_change(change):
        return None
    from activity_tracker.repository.activities import ActivityItem

    org = activity["organization_id"]
    first, last = local_day_window(activity["local_date"], 1)
    wide_from, wide_to = local_day_window(activity["local_date"], 2)
    partition = keys.activities_of_contact(org, activity["contact_id"])
    neighbours = [
        (item.created_at, item.id)
        for item in ActivityItem.by_contact.query(partition, ActivityItem.gsi3sk.between(wide_from, wide_to + "~"))
        if first <= item.local_date <= last and not item.deleted_at and item.id != activity["id"]
    ]
    if not neighbours:
        return None
    earliest = min([*neighbours, (activity["created_at"], activity["id"])])[1]
    if earliest == activity["id"] or activity.get("duplicate_of_activity_id") == earliest:
        return None
    key = {"pk": {"S": keys.activity_pk(org, activity["id"])}, "sk": {"S": keys.ACTIVITY_SK}}
    changed = _update(key, "SET #f = :id", "attribute_exists(pk) AND (attribute_not_exists(#f) OR #f <> :id)", {"#f": "duplicate_of_activity_id"}, {":id": {"S": earliest}})
    return earliest if changed else None
