"""Privacy: personal-data exports and erasures (request answers and status DTOs)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from activity_tracker.models.base import ResponseModel, Timestamp, absent

JobStatus = Literal["pending", "running", "done", "failed"]


class PrivacyJobQueued(ResponseModel):
    """The job is queued (or, asked again, as far as it got); follow it by its id."""

    id: str
    status: JobStatus


class DataExportOut(ResponseModel):
    """A personal-data export (right of access) and how far it got."""

    id: str
    organization_id: str
    user_id: str = Field(description="Whom it is about.")
    requested_by_user_id: str
    status: Literal["pending", "running", "done", "failed", "expired"] = Field(
        description="`pending` → `running` → `done` or `failed`; `expired` once the file is gone (7 days, or the person was erased): no `url`."
    )
    counts: dict[str, int] = Field(description="Items written per section of the file, once done.")
    error: str | None
    created_at: Timestamp
    updated_at: Timestamp
    finished_at: Timestamp | None
    url: str = absent("A done export only: a presigned download link of the JSON file, valid 5 minutes.")


class ErasureOut(ResponseModel):
    """An erasure and how far it got; the record of it keeps no personal data."""

    id: str
    organization_id: str
    subject_kind: Literal["user", "contact"]
    subject_id: str
    status: JobStatus = Field(description="`failed`: ask again (the same POST) to continue from where it stopped.")
    phase: str | None = Field(description="The step it is at (`finished` once every step is done).")
    counts: dict[str, int] = Field(description="What was changed so far, by kind (profiles, activities, reports, progress_rows, contacts, ...).")
    requested_by_user_id: str
    error: str | None
    created_at: Timestamp
    updated_at: Timestamp
    finished_at: Timestamp | None
