"""Bufdir exports: the request and the status DTO."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from activity_tracker.models.base import QueryModel, RequestModel

EXPORT_FIELDS = ("id", "organization_id", "status", "period_start", "period_end", "format", "row_count", "summary", "error", "requested_by_user_id", "scheduled", "created_at", "updated_at", "finished_at")
MAX_PERIOD_DAYS = 366


class ExportCreate(RequestModel):
    period_start: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    period_end: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    format: Literal["csv", "json"] = "csv"


class ExportListQuery(QueryModel):
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048)


def export_dto(item: Any, url: str | None = None) -> dict[str, Any]:
    out = {name: getattr(item, name) for name in EXPORT_FIELDS}
    out["row_count"] = int(out["row_count"]) if out["row_count"] is not None else None
    if url:
        out["url"] = url
    return out
