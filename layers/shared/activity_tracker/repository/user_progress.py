"""User progress: `ORG#o#USER#u / PROGRESS#type#item` (one row per org + user + type + item, by
its key), listed newest first through LSI1 `PROGRESS#type#createdAt#id` with strong consistency."""

from __future__ import annotations

from itertools import islice
from types import SimpleNamespace
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from activity_tracker import keys
from activity_tracker.clock import new_id, now_iso
from activity_tracker.repository.table import Lsi1, TableItem, cancellation_codes, records, transaction

TABLE = "user_progress"  # its name on devices (offline sync)
TOMBSTONE_SECONDS = 90 * 86_400  # logic.sync.TOMBSTONE_DAYS: a device older than that resyncs


class ProgressItem(TableItem):
    id = UnicodeAttribute()
    progress_type = UnicodeAttribute()
    item_id = UnicodeAttribute()
    value = UnicodeAttribute(null=True)
    score = NumberAttribute(null=True)
    progress_metadata = JSONAttribute(null=True, attr_name="metadata")
    organization_id = UnicodeAttribute()
    campus_id = UnicodeAttribute(null=True)
    user_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    lsi1sk = UnicodeAttribute()
    gsi5pk = UnicodeAttribute(null=True)  # keys.changes_of_user, for offline sync
    gsi5sk = UnicodeAttribute(null=True)
    by_created = Lsi1()


class TombstoneItem(TableItem):
    """`ORG#o#USER#u / TOMBSTONE#table#id`: a hard-deleted record, in the change index for the
    devices that still hold it, until `expires_at` (TTL)."""

    table_name = UnicodeAttribute()
    record_id = UnicodeAttribute()
    deleted_at = UnicodeAttribute()
    expires_at = NumberAttribute()
    gsi5pk = UnicodeAttribute()
    gsi5sk = UnicodeAttribute()


def new_row(org_id: str, user_id: str, campus_id: str | None, progress_type: str, item_id: str, value: str | None, score: float | None, metadata: dict[str, Any] | None) -> ProgressItem:
    """The row as an upsert of these values stores it (a new row's `id` and timestamps; an existing
    row keeps its own `id` and `createdAt`, of the same size): what the item-size rule measures."""
    moment, progress_id = now_iso(), new_id()
    return ProgressItem(
        keys.user_pk(org_id, user_id), keys.progress_sk(progress_type, item_id), entity="PROGRESS",
        id=progress_id, progress_type=progress_type, item_id=item_id, value=value, score=score, progress_metadata=metadata,
        organization_id=org_id, campus_id=campus_id, user_id=user_id, created_at=moment, updated_at=moment,
        lsi1sk=keys.progress_by_created(progress_type, moment, progress_id),
    )  # fmt: skip


def upsert(row: ProgressItem) -> ProgressItem:
    """One UpdateItem: creates the row or updates it in place; `id` and `createdAt` survive."""
    row.update(
        actions=[
            ProgressItem.entity.set("PROGRESS"),
            ProgressItem.id.set(ProgressItem.id | row.id),
            ProgressItem.created_at.set(ProgressItem.created_at | row.created_at),
            ProgressItem.lsi1sk.set(ProgressItem.lsi1sk | row.lsi1sk),
            ProgressItem.progress_type.set(row.progress_type),
            ProgressItem.item_id.set(row.item_id),
            ProgressItem.value.set(row.value) if row.value is not None else ProgressItem.value.remove(),
            ProgressItem.score.set(row.score) if row.score is not None else ProgressItem.score.remove(),
            ProgressItem.progress_metadata.set(row.progress_metadata) if row.progress_metadata is not None else ProgressItem.progress_metadata.remove(),
            ProgressItem.organization_id.set(row.organization_id),
            ProgressItem.campus_id.set(row.campus_id) if row.campus_id is not None else ProgressItem.campus_id.remove(),
            ProgressItem.user_id.set(row.user_id),
            ProgressItem.updated_at.set(row.updated_at),
            ProgressItem.gsi5pk.set(keys.changes_of_user(row.organization_id, row.user_id)),
            ProgressItem.gsi5sk.set(keys.change_sk(now_iso(), row.id)),
        ]
    )
    return row


def get(org_id: str, user_id: str, progress_type: str, item_id: str) -> ProgressItem | None:
    try:
        return ProgressItem.get(keys.user_pk(org_id, user_id), keys.progress_sk(progress_type, item_id), consistent_read=True)
    except DoesNotExist:
        return None


def page(org_id: str, user_id: str, progress_type: str, limit: int, page_number: int) -> tuple[list[SimpleNamespace], int]:
    """The `page_number`-th page of `limit` rows, newest first (records), and the total count."""
    pk, prefix = keys.user_pk(org_id, user_id), keys.progress_prefix(progress_type)
    condition = ProgressItem.lsi1sk.startswith(prefix)
    count = ProgressItem.by_created.count(pk, condition, consistent_read=True)
    skip = (page_number - 1) * limit
    if skip >= count:
        return [], count
    rows = list(islice(records(ProgressItem.by_created, pk, condition, scan_index_forward=False, consistent_read=True, page_size=skip + limit), skip + limit))
    return rows[skip : skip + limit], count


def delete(org_id: str, user_id: str, progress_type: str, item_id: str) -> int:
    """Delete the row if it exists, leaving its tombstone for devices, in one transaction; returns
    how many were deleted."""
    import time

    row = get(org_id, user_id, progress_type, item_id)
    if row is None:
        return 0
    moment = now_iso()
    tombstone = TombstoneItem(
        keys.user_pk(org_id, user_id), keys.tombstone_sk(TABLE, row.id), entity="TOMBSTONE", table_name=TABLE, record_id=row.id,
        deleted_at=moment, expires_at=int(time.time()) + TOMBSTONE_SECONDS,
        gsi5pk=keys.changes_of_user(org_id, user_id), gsi5sk=keys.change_sk(moment, row.id),
    )  # fmt: skip
    try:
        with transaction() as tx:
            tx.delete(row, condition=ProgressItem.id == row.id)
            tx.save(tombstone)
    except TransactWriteError as error:
        if cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:  # deleted (or replaced) meanwhile
            return 0
        raise
    return 1
