"""Activities (seed: Meander Activity): `ORG#o#ACT#id / ACT`, type ACTIVITY.

Attributes carry the API field names verbatim, plus the index keys and `local_date`, the
activity's calendar day (YYYY-MM-DD) in the organization's time zone at the time of writing:
the duplicate check, statistics months and exports all use it, so none of them needs the
organization's time zone again. Listings come from indexes (see docs/data-model.md):
GSI1 by user, GSI2 by organization, GSI3 by contact, GSI4 by status, all sorted by
`activity_date#id` (activity_date is ISO 8601 UTC with Z, so the sort is chronological).
GSI1, GSI3 and GSI4 hold live activities only: a soft-deleted activity leaves them (its keys there
are removed) and moves to its own GSI2 partition, so a list of live activities reads exactly its
page, with no filter to skip deleted ones.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition

from activity_tracker import keys
from activity_tracker.clock import now_iso
from activity_tracker.pagination import SortRange, decode_cursor, encode_cursor, start_key
from activity_tracker.repository.table import Gsi1, Gsi2, Gsi3, Gsi4, TableItem, plain, query_items, records, transaction

ENTITY = "ACTIVITY"


class ActivityItem(TableItem):
    id = UnicodeAttribute()
    organization_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    registered_by_user_id = UnicodeAttribute()
    activity_date = UnicodeAttribute()  # ISO 8601 UTC with Z
    local_date = UnicodeAttribute()  # YYYY-MM-DD in the organization's time zone
    duration_minutes = NumberAttribute()
    activity_type = UnicodeAttribute()
    summary = UnicodeAttribute(null=True)
    contact_id = UnicodeAttribute(null=True)
    is_group_activity = BooleanAttribute(default=False)
    participant_count = NumberAttribute(null=True)
    is_proxy_registration = BooleanAttribute(default=False)
    is_bulk_registration = BooleanAttribute(default=False)
    status = UnicodeAttribute(default="under_review")
    reviewed_by_user_id = UnicodeAttribute(null=True)
    reviewed_at = UnicodeAttribute(null=True)
    rejection_reason = UnicodeAttribute(null=True)
    duplicate_of_activity_id = UnicodeAttribute(null=True)
    calendar_event_uid = UnicodeAttribute(null=True)
    has_home_visit_report = BooleanAttribute(default=False)
    bufdir_eligible = BooleanAttribute(default=False)
    bufdir_excluded = BooleanAttribute(default=False)
    local_id = UnicodeAttribute(null=True)
    registration_mode = UnicodeAttribute(default="quick")
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    deleted_at = UnicodeAttribute(null=True)
    version = NumberAttribute(default=1)
    updated_by = UnicodeAttribute(null=True)  # who wrote this state (`write`'s actor): the audit trail's "who"

    gsi1pk = UnicodeAttribute(null=True)  # keys.activities_of_user, while live
    gsi1sk = UnicodeAttribute(null=True)  # keys.activity_by_date
    gsi2pk = UnicodeAttribute()  # keys.activities_of_org, or keys.deleted_activities_of_org once deleted
    gsi2sk = UnicodeAttribute()
    gsi3pk = UnicodeAttribute(null=True)  # keys.activities_of_contact, while live and with a contact
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)  # keys.activities_by_status, while live
    gsi4sk = UnicodeAttribute(null=True)
    gsi5pk = UnicodeAttribute(null=True)  # keys.changes_of_user (the owner's), for offline sync
    gsi5sk = UnicodeAttribute(null=True)  # keys.change_sk: stamped by every write

    by_user = Gsi1()
    by_organization = Gsi2()
    by_contact = Gsi3()
    by_status = Gsi4()


class LocalIdGuard(TableItem):
    """`ORG#o#LOCAL#local_id / LOCAL`: local_id unique per organization."""

    activity_id = UnicodeAttribute()


class DuplicateGuard(TableItem):
    """`ORG#o#DUP#user#contact#type#local_date / DUP`: no two live hard duplicates."""

    activity_id = UnicodeAttribute()


class HomeVisitReportItem(TableItem):
    id = UnicodeAttribute()
    organization_id = UnicodeAttribute()
    activity_id = UnicodeAttribute()
    content = UnicodeAttribute()
    created_by_user_id = UnicodeAttribute()
    created_at = UnicodeAttribute()


def build(state: dict[str, Any]) -> ActivityItem:
    """The item for an activity's full state, with every index key in step with it: a live activity
    is in GSI1 (its user), GSI2 (its organization), GSI3 (its contact, if any) and GSI4 (its
    status); a deleted one only in GSI2's partition of deleted activities."""
    org_id, activity_id = state["organization_id"], state["id"]
    by_date = keys.activity_by_date(state["activity_date"], activity_id)
    item = ActivityItem(keys.activity_pk(org_id, activity_id), keys.ACTIVITY_SK, entity=ENTITY, **state)
    item.gsi2sk = by_date
    item.gsi5pk, item.gsi5sk = keys.changes_of_user(org_id, state["user_id"]), keys.change_sk(now_iso(), activity_id)  # deleted ones too (tombstones)
    if state.get("deleted_at"):
        item.gsi2pk = keys.deleted_activities_of_org(org_id)
        return item
    item.gsi1pk, item.gsi1sk = keys.activities_of_user(org_id, state["user_id"]), by_date
    item.gsi2pk = keys.activities_of_org(org_id)
    item.gsi3pk, item.gsi3sk = (keys.activities_of_contact(org_id, state["contact_id"]), by_date) if state.get("contact_id") else (None, None)
    item.gsi4pk, item.gsi4sk = keys.activities_by_status(org_id, state["status"]), by_date
    return item


STATE_FIELDS = tuple(name for name in ActivityItem.get_attributes() if name not in ("pk", "sk", "entity") and not name.startswith("gsi"))


def state_of(item: ActivityItem) -> dict[str, Any]:
    return {name: getattr(item, name) for name in STATE_FIELDS}


def duplicate_key(state: dict[str, Any]) -> str | None:
    """The hard-duplicate guard of a live activity with a contact; None otherwise."""
    if not state.get("contact_id") or state.get("deleted_at"):
        return None
    return keys.duplicate_guard(state["organization_id"], state["user_id"], state["contact_id"], state["activity_type"], state["local_date"])


def get(org_id: str, activity_id: str) -> ActivityItem | None:
    try:
        return ActivityItem.get(keys.activity_pk(org_id, activity_id), keys.ACTIVITY_SK, consistent_read=True)
    except DoesNotExist:
        return None


def guarded_activity_id(model: type[LocalIdGuard] | type[DuplicateGuard], pk: str, sk: str) -> str | None:
    try:
        return model.get(pk, sk, consistent_read=True).activity_id
    except DoesNotExist:
        return None


class WriteRefused(Exception):
    """A conditional part of an activity transaction failed: `reason` names which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def write(new: dict[str, Any], old: dict[str, Any] | None, *, actor: str, local_guard: bool = False, extra: Any = None) -> ActivityItem:
    """Write an activity's new state in one transaction, with its guards.

    `old` None means create (`attribute_not_exists`); otherwise the stored version must still be
    `old["version"]`. The hard-duplicate guard follows the state: released when the activity
    leaves a (user, contact, type, day) slot, claimed when it enters one. Raises WriteRefused
    with reason `local_id`, `duplicate` or `version`. `actor` (the user making the change) is stored
    as `updated_by`, which the stream's audit trail reads as who made the change.
    """
    new["updated_by"] = actor
    item = build(new)
    old_guard, new_guard = duplicate_key(old) if old else None, duplicate_key(new)
    parts: list[str] = []
    try:
        with transaction() as tx:
            if old is None:
                tx.save(item, condition=ActivityItem.pk.does_not_exist())
            else:
                tx.save(item, condition=ActivityItem.version == old["version"])
            parts.append("version")
            if local_guard and new.get("local_id"):
                guard = LocalIdGuard(keys.local_id_guard(new["organization_id"], new["local_id"]), keys.LOCAL_ID_SK, entity="LOCAL_ID", activity_id=new["id"])
                tx.save(guard, condition=LocalIdGuard.pk.does_not_exist())
                parts.append("local_id")
            if old_guard and old_guard != new_guard:
                tx.delete(DuplicateGuard(old_guard, keys.DUPLICATE_SK), condition=DuplicateGuard.activity_id == new["id"])
                parts.append("old_duplicate")
            if new_guard and new_guard != old_guard:
                tx.save(DuplicateGuard(new_guard, keys.DUPLICATE_SK, entity="DUPLICATE_GUARD", activity_id=new["id"]), condition=DuplicateGuard.pk.does_not_exist())
                parts.append("duplicate")
            if extra is not None:
                tx.save(extra, condition=type(extra).pk.does_not_exist())
                parts.append("extra")
    except TransactWriteError as error:
        reasons = [getattr(r, "code", None) for r in (error.cancellation_reasons or [])]
        failed = [part for part, code in zip(parts, reasons, strict=False) if code == "ConditionalCheckFailed"]
        if "local_id" in failed:
            raise WriteRefused("local_id") from None
        if "version" in failed or "old_duplicate" in failed:
            raise WriteRefused("version") from None
        if "duplicate" in failed:
            raise WriteRefused("duplicate") from None
        if "extra" in failed:
            raise WriteRefused("extra") from None
        raise  # a TransactionConflict, or a failure after botocore's retries: 503 (api.py)
    return item


def by_date(date_from: str | None, date_to: str | None) -> SortRange:
    """The index sort keys (`activity_date#id`) of activities dated from `date_from` to `date_to`
    (ISO prefixes of activity_date, inclusive)."""
    return SortRange(low=date_from or None, high=date_to + "~" if date_to else None)


def query(index: Any, partition: str, dates: SortRange, filters: Any, limit: int, start: dict[str, str] | None) -> Iterator[SimpleNamespace]:
    """Newest first from `index` within `dates` (see `by_date`), as records (repository.table.reader):
    for answers and checks, not for writing back."""
    condition = dates.condition(getattr(ActivityItem, index.Meta.index_name + "sk"))
    return records(index, partition, condition, filter_condition=filters, scan_index_forward=False, page_size=limit if filters is None else 100, start=start_key(start))


def _all(conditions: list[Condition]) -> Condition | None:
    combined: Condition | None = None
    for part in conditions:
        combined = part if combined is None else combined & part
    return combined


def listing(
    org_id: str, *, user_id: str | None, contact_id: str | None, status: str | None, activity_type: str | None, local_from: str | None,
    local_to: str | None, date_from: str | None, date_to: str | None, include_deleted: bool, limit: int, cursor: str | None,
) -> tuple[list[SimpleNamespace], str | None]:  # fmt: skip
    """A page of activities, newest first, and the cursor of the next: from GSI1 by `user_id`, else
    GSI3 by `contact_id`, else GSI4 by `status`, else GSI2 (the organization); the other criteria as
    filters (`local_from`/`local_to` on local_date, within the key range `date_from`/`date_to` on
    activity_date). Without filters the Query reads exactly the page. `include_deleted` merges in
    the organization's deleted activities (GSI2), all criteria as filters there."""
    item = ActivityItem
    index: Any
    if user_id:
        index, partition = item.by_user, keys.activities_of_user(org_id, user_id)
    elif contact_id:
        index, partition = item.by_contact, keys.activities_of_contact(org_id, contact_id)
    elif status:
        index, partition = item.by_status, keys.activities_by_status(org_id, status)
    else:
        index, partition = item.by_organization, keys.activities_of_org(org_id)
    name = index.Meta.index_name
    criteria: list[Condition] = []
    if contact_id and name != "gsi3":
        criteria.append(item.contact_id == contact_id)
    if status and name != "gsi4":
        criteria.append(item.status == status)
    if activity_type:
        criteria.append(item.activity_type == activity_type)
    if local_from:
        criteria.append(item.local_date >= local_from)
    if local_to:
        criteria.append(item.local_date <= local_to)
    dates = by_date(date_from, date_to)
    # the cursor must lie in the partition and the date range this request reads (pagination.decode_cursor)
    start = decode_cursor(cursor, ("pk", "sk", f"{name}pk", f"{name}sk"), (f"{name}pk", partition), (f"{name}sk", dates))
    key_range = dates.condition(getattr(item, name + "sk"))
    if not include_deleted:
        # Live activities only: the partition holds no others, except ones deleted before the indexes
        # held live ones only (docs/data-model.md); the filter skips those and costs nothing else.
        found: Iterator[SimpleNamespace] = records(
            index, partition, key_range, filter_condition=_all([*criteria, item.deleted_at.does_not_exist()]), scan_index_forward=False,
            page_size=100 if criteria else limit, start=start_key(start),
        )  # fmt: skip
    else:
        live = records(index, partition, key_range, filter_condition=_all(criteria), scan_index_forward=False, page_size=100 if criteria else limit, start=start_key(start))
        deleted_partition = keys.deleted_activities_of_org(org_id)
        chosen = {"gsi1": lambda: item.user_id == user_id, "gsi3": lambda: item.contact_id == contact_id, "gsi4": lambda: item.status == status}
        deleted_criteria = [*criteria, *([chosen[name]()] if name in chosen else [])]  # what the index's partition said
        deleted_start = {"pk": start["pk"], "sk": start["sk"], "gsi2pk": deleted_partition, "gsi2sk": start[f"{name}sk"]} if start else None
        deleted = records(
            item.by_organization, deleted_partition, dates.condition(item.gsi2sk), filter_condition=_all(deleted_criteria),
            scan_index_forward=False, page_size=100 if deleted_criteria else limit, start=start_key(deleted_start),
        )  # fmt: skip
        found = heapq.merge(live, deleted, key=lambda it: keys.activity_by_date(it.activity_date, it.id), reverse=True)
    page: list[SimpleNamespace] = []
    for record in found:
        page.append(record)
        if len(page) == limit:
            position = keys.activity_by_date(record.activity_date, record.id)
            return page, encode_cursor({"pk": record.pk, "sk": record.sk, f"{name}pk": partition, f"{name}sk": position})
    return page, None


_plain = plain  # one raw attribute value as Python (repository.table.plain), by the name the export's tests know


def projection(attributes: tuple[str, ...]) -> dict[str, Any]:
    """ProjectionExpression and its names for top-level `attributes`. DynamoDB refuses a path named
    twice ("Two document paths overlap"), so each name appears once, in first-seen order."""
    names = {f"#a{i}": name for i, name in enumerate(dict.fromkeys(attributes))}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}


EXPORT_PAGE_ITEMS = 400  # a page of about 100 KB of rows: what the export holds parsed at once (the same read units as 1 MB pages)


def approved_by_date(org_id: str, date_from: str, date_to: str, attributes: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """The organization's approved activities with `activity_date` in [date_from, date_to] (ISO
    dates), oldest first, as plain dicts of `attributes`, from GSI4 one Query page (at most 1 MB)
    at a time: for reading a whole period without holding it, and without building a model object
    per item (the Bufdir export).

    One Query per day of the period (a month: 30 Queries, a year 366, most of one page): each read
    is bounded by a day's activities, not by the period. DynamoDB Local answers a page in time that
    grows with what is left of the key range, so a 100,000-row month read whole took minutes there."""
    from datetime import date, timedelta

    partition = {"S": keys.activities_by_status(org_id, "approved")}
    day, last = date.fromisoformat(date_from), date.fromisoformat(date_to)
    while day <= last:
        prefix = day.isoformat()
        request: dict[str, Any] = {
            "IndexName": Gsi4.Meta.index_name,
            "KeyConditionExpression": "gsi4pk = :partition AND gsi4sk BETWEEN :first AND :last",
            "ExpressionAttributeValues": {":partition": partition, ":first": {"S": prefix}, ":last": {"S": prefix + "~"}},
            "Limit": EXPORT_PAGE_ITEMS,
            **projection(attributes),
        }
        for item in query_items(request):
            yield {name: _plain(value) for name, value in item.items()}
        if day == date.max:
            return
        day += timedelta(days=1)


def of_organization(org_id: str, attributes: tuple[str, ...], client: Any = None) -> Iterator[dict[str, Any]]:
    """Every activity of the organization, live and deleted (its two GSI2 partitions), as plain dicts
    of `attributes`, one Query page at a time (the counter recount)."""
    for partition in (keys.activities_of_org(org_id), keys.deleted_activities_of_org(org_id)):
        request: dict[str, Any] = {
            "IndexName": Gsi2.Meta.index_name,
            "KeyConditionExpression": "gsi2pk = :partition",
            "ExpressionAttributeValues": {":partition": {"S": partition}},
            **projection(attributes),
        }
        for item in query_items(request, client):
            yield {name: plain(value) for name, value in item.items()}
