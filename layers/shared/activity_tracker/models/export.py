"""Bufdir exports: the request and the status DTO."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from activity_tracker.dto import export_dto as export_dto  # re-exported: the DTOs live in activity_tracker.dto
from activity_tracker.models.base import Page, QueryModel, RequestModel, ResponseModel, Timestamp, absent
from activity_tracker.rules.exports import MAX_PERIOD_DAYS as MAX_PERIOD_DAYS
from activity_tracker.vocabulary import BufdirCategory


class ExportCreate(RequestModel):
    period_start: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"})
    period_end: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"})
    format: Literal["csv", "json"] = Field(
        "csv",
        description="`csv`: RFC 4180, and a text cell starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` so that spreadsheets "
        "show it as text, not run it (CSV injection). `json`: every value exactly as stored.",
    )


class ExportListQuery(QueryModel):
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048)


ExportStatus = Literal["pending", "running", "done", "failed", "expired"]


class ExportQueued(ResponseModel):
    """The export is queued; follow it with `GET /api/exports/{id}`."""

    id: str
    status: Literal["pending"]


class BufdirCategoryCounts(ResponseModel):
    activity_count: int
    activity_days: int = Field(description="Distinct days (organization's time zone) with an activity.")
    participants: int
    duration_minutes: int


class ExportSummary(ResponseModel):
    categories: dict[BufdirCategory, BufdirCategoryCounts] = Field(description="Only the categories that have rows.")
    active_mentors: int = Field(description="Distinct users with a row in the export.")


class ExportOut(ResponseModel):
    """A Bufdir export and how far it got."""

    id: str
    organization_id: str
    status: ExportStatus = Field(
        description="`pending` → `running` → `done` or `failed`; `expired` once a done export's file is past the bucket's 90 days (no `url`). "
        "An export that cannot start, or whose run died, ends `failed`."
    )
    period_start: str = Field(json_schema_extra={"format": "date"}, description="First day, YYYY-MM-DD (inclusive).")
    period_end: str = Field(json_schema_extra={"format": "date"}, description="Last day, YYYY-MM-DD (inclusive).")
    format: Literal["csv", "json"]
    row_count: int | None = Field(description="Set once done.")
    summary: ExportSummary | None = Field(description="Set once done.")
    error: str | None = Field(description="Why it failed, for people: `TimeLimit: …`, `WorkerStopped: …`, `NotStarted: …` or `ExportFailed: …` (details are in the logs).")
    requested_by_user_id: str | None = Field(description="Null for a scheduled export.")
    scheduled: bool = Field(description="Queued by the monthly schedule, not by a user.")
    created_at: Timestamp
    updated_at: Timestamp
    finished_at: Timestamp | None
    url: str = absent("`GET /api/exports/{id}` of a done export only: a presigned download link, valid 15 minutes.")


class ExportPage(Page[ExportOut]):
    """A page of the organization's exports, newest first (scheduled ones too); no `url` here."""
