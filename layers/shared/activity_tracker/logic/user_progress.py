"""`/api/user_progress`: the caller's own progress rows (seed: user_progress)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from activity_tracker.api import Request
from activity_tracker.dto import progress_dto
from activity_tracker.errors import rule_violation
from activity_tracker.limits import ITEM_MAX_BYTES, item_size
from activity_tracker.repository import user_progress as repo

if TYPE_CHECKING:  # request models load with the request that needs them
    from activity_tracker.models.user_progress import ProgressDeleteQuery, ProgressListQuery


def list_rows(request: Request, user: Any) -> dict[str, Any]:
    query: ProgressListQuery = request.params
    org_id, user_id = request.caller.org_id, user.id
    if query.item_id is not None:
        item = repo.get(org_id, user_id, query.progress_type, query.item_id.strip())
        return {"rows": [progress_dto(item)] if item is not None and query.page == 1 else [], "count": 1 if item is not None else 0}
    rows, count = repo.page(org_id, user_id, query.progress_type, query.limit, query.page)
    return {"rows": [progress_dto(row) for row in rows], "count": count}


def upsert(request: Request, user: Any) -> dict[str, Any]:
    data = request.body.data
    row = repo.new_row(request.caller.org_id, user.id, request.caller.campus_id, data.progress_type, data.item_id, data.kept_value(), data.kept_score(), data.metadata)
    # metadata is stored as JSON text with non-ASCII escaped (`é` as `\u00e9`, 6 bytes; an emoji 12):
    # a body under 256 KiB can make a row over DynamoDB's 400 KB
    if item_size(row.serialize()) > ITEM_MAX_BYTES:
        raise rule_violation("data", "item_too_large", "Stored, this row would be over DynamoDB's 400 KB item limit (metadata is kept as JSON text, where a non-ASCII character takes up to 12 bytes).")
    return progress_dto(repo.upsert(row))


def delete_by_item(request: Request, user: Any) -> dict[str, Any]:
    query: ProgressDeleteQuery = request.params
    return {"deletedCount": repo.delete(request.caller.org_id, user.id, query.progress_type, query.item_id.strip())}
