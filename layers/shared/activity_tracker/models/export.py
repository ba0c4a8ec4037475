"""Bufdir exports: the request and the status DTO."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from activity_tracker.dto import export_dto as export_dto  # re-exported: the DTOs live in activity_tracker.dto
from activity_tracker.models.base import Page, QueryModel, RequestModel, ResponseModel, absent
from activity_tracker.rules.exports import MAX_PERIOD_DAYS as MAX_PERIOD_DAYS
from activity_tracker.vocabulary import BufdirCategory


class ExportCreate(RequestModel):
    period_start: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    period_end: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    format: Literal["csv", "json"] = "csv"


class ExportListQuery(QueryModel):
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048)


ExportStatus = Literal["pending", "running", "done", "failed"]


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
    status: ExportStatus = Field(description="`pending` → `running` → `done` or `failed`.")
    period_start: str = Field(description="First day, YYYY-MM-DD (inclusive).")
    period_end: str = Field(description="Last day, YYYY-MM-DD (inclusive).")
    format: Literal["csv", "json"]
    row_count: int | None = Field(description="Set once done.")
    summary: ExportSummary | None = Field(description="Set once done.")
    error: str | None = Field(description="Why it failed.")
    requested_by_user_id: str | None = Field(description="Null for a scheduled export.")
    scheduled: bool = Field(description="Queued by the monthly schedule, not by a user.")
    created_at: str
    updated_at: str
    finished_at: str | None
    url: str = absent("`GET /api/exports/{id}` of a done export only: a presigned download link, valid 15 minutes.")


class ExportPage(Page[ExportOut]):
    """A page of the organization's exports, newest first (scheduled ones too); no `url` here."""
