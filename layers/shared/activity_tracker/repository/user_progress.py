"""User progress: `ORG#o#USER#u / PROGRESS#type#item` (one row per org + user + type + item, by
its key), listed newest first through LSI1 `PROGRESS#type#createdAt#id` with strong consistency."""

from __future__ import annotations

from itertools import islice
from types import SimpleNamespace
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist

from activity_tracker import keys
from activity_tracker.clock import new_id, now_iso
from activity_tracker.repository.table import Lsi1, TableItem, records


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
    by_created = Lsi1()


def upsert(org_id: str, user_id: str, campus_id: str | None, progress_type: str, item_id: str, value: str | None, score: float | None, metadata: dict[str, Any] | None) -> ProgressItem:
    """One UpdateItem: creates the row or updates it in place; `id` and `createdAt` survive."""
    moment, progress_id = now_iso(), new_id()
    item = ProgressItem(keys.user_pk(org_id, user_id), keys.progress_sk(progress_type, item_id))
    item.update(
        actions=[
            ProgressItem.entity.set("PROGRESS"),
            ProgressItem.id.set(ProgressItem.id | progress_id),
            ProgressItem.created_at.set(ProgressItem.created_at | moment),
            ProgressItem.lsi1sk.set(ProgressItem.lsi1sk | keys.progress_by_created(progress_type, moment, progress_id)),
            ProgressItem.progress_type.set(progress_type),
            ProgressItem.item_id.set(item_id),
            ProgressItem.value.set(value) if value is not None else ProgressItem.value.remove(),
            ProgressItem.score.set(score) if score is not None else ProgressItem.score.remove(),
            ProgressItem.progress_metadata.set(metadata) if metadata is not None else ProgressItem.progress_metadata.remove(),
            ProgressItem.organization_id.set(org_id),
            ProgressItem.campus_id.set(campus_id) if campus_id is not None else ProgressItem.campus_id.remove(),
            ProgressItem.user_id.set(user_id),
            ProgressItem.updated_at.set(moment),
        ]
    )
    return item


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
    """Delete the row if it exists, in one conditional DeleteItem; returns how many were deleted."""
    item = ProgressItem(keys.user_pk(org_id, user_id), keys.progress_sk(progress_type, item_id))
    try:
        item.delete(condition=ProgressItem.pk.exists())
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return 0
        raise
    return 1
