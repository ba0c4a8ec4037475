"""Reading the audit trail (written by the stream consumer, stream/audit.py): the organization's
entries by month `ORG#o#AUDIT#yyyy-mm / <at>#<event id>`, and an activity's history beside it
`ORG#o#ACT#id / AUDIT#<at>#<event id>`. Oldest first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from activity_tracker import keys
from activity_tracker.pagination import start_key
from activity_tracker.repository.table import plain_item, query_items


def entry_dto(item: dict[str, Any]) -> dict[str, Any]:
    """A stored entry (plain item) as the API answers it."""
    version = item.get("version")
    return {
        "id": item["id"], "organization_id": item["organization_id"], "at": item["at"], "actor": item.get("actor"),
        "entity": item["entity"], "entity_id": item["entity_id"], "activity_id": item.get("activity_id"), "action": item["action"],
        "version": int(version) if version is not None else None, "changes": json.loads(item.get("changes") or "[]"),
    }  # fmt: skip


def _query(pk: str, low: str, high: str, filters: dict[str, str], page: int, start: dict[str, str] | None) -> Iterator[dict[str, Any]]:
    request: dict[str, Any] = {
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":low": {"S": low}, ":high": {"S": high}},
        "Limit": page,
    }
    if filters:
        request["FilterExpression"] = " AND ".join(f"#{name} = :{name}" for name in filters)
        request["ExpressionAttributeNames"] = {f"#{name}": name for name in filters}
        request["ExpressionAttributeValues"] |= {f":{name}": {"S": value} for name, value in filters.items()}
    if start:
        request["ExclusiveStartKey"] = start_key(start)
    for item in query_items(request):
        found = plain_item(item)
        if found is not None:
            yield found


def history(org_id: str, activity_id: str, since: str, limit: int, start: dict[str, str] | None) -> Iterator[dict[str, Any]]:
    """An activity's entries from `since` (an ISO prefix), oldest first, `limit` a page."""
    low, high = history_range(since)
    return _query(keys.activity_pk(org_id, activity_id), low, high, {}, limit, start)


def history_range(since: str) -> tuple[str, str]:
    """The sort keys of an activity's entries written from `since` (an ISO prefix) on."""
    return keys.HISTORY_PREFIX + since, keys.HISTORY_PREFIX + "~"


def months(first: str, last: str) -> list[str]:
    """`YYYY-MM` from `first` to `last` (inclusive)."""
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def of_organization(
    org_id: str, low: str, high: str, *, actor: str | None, entity: str | None, limit: int, start: dict[str, str] | None,
) -> Iterator[dict[str, Any]]:  # fmt: skip
    """The organization's entries with `low <= at#id <= high`, oldest first, month partition after
    month partition (resuming in the cursor's month); `actor` and `entity` as filters."""
    filters = {name: value for name, value in (("actor", actor), ("entity", entity)) if value}
    page = 100 if filters else limit
    for month in months(start["pk"].rsplit("#", 1)[1] if start else low[:7], high[:7]):
        pk = keys.audit_pk(org_id, month)
        yield from _query(pk, low, high, filters, page, start if start and start["pk"] == pk else None)
