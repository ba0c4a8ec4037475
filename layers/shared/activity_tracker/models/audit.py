"""The audit trail: an activity's history and the organization's audit list (admins)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

from activity_tracker.models.base import Id, IsoDate, Page, QueryModel, ResponseModel, Timestamp

AuditEntity = Literal["activity", "home_visit_report", "user", "contact", "organization", "export"]
AuditAction = Literal["created", "updated", "reviewed", "deleted", "restored", "removed", "downloaded"]
_VALUE = WithJsonSchema(
    {
        "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "object"}, {"type": "null"}],
        "description": 'The value as stored; `"[redacted]"` for personal text (null when it was empty).',
    }
)


class HistoryQuery(QueryModel):
    include_deleted: bool = False
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048)


class AuditQuery(QueryModel):
    from_: IsoDate | None = Field(None, alias="from", description="First UTC day (inclusive); default 30 days before `to`.")
    to: IsoDate | None = Field(None, description="Last UTC day (inclusive); default today.")
    actor: Id | None = Field(None, description="Only changes made by this user id (or `system`).")
    entity: AuditEntity | None = None
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048)


class AuditChange(ResponseModel):
    """One field's change. Personal text (free text, notes, report content, names, emails, phones,
    image links) is never shown: `redacted` is true and the values are `"[redacted]"` or null."""

    field: str
    old: Annotated[Any, _VALUE]
    new: Annotated[Any, _VALUE]
    redacted: bool


class AuditEntryOut(ResponseModel):
    """Who changed what, when: one change of an activity, home-visit report, user, contact or the
    organization, or one download link of an export handed out."""

    id: str = Field(description="The change's id (the stream record's eventID).")
    organization_id: str
    at: Timestamp = Field(description="When the change was written (the writer's clock; the stream's, to the second, for system changes).")
    actor: str | None = Field(description="The user who made the change; `system` for the server's own flags; null when not known (a removal).")
    entity: AuditEntity
    entity_id: str
    activity_id: str | None = Field(description="The activity an activity's or home-visit report's entry belongs to.")
    action: AuditAction
    version: int | None = Field(description="An activity's version after the change.")
    changes: list[AuditChange] = Field(description="The fields that changed, by name (empty for a download).")


class AuditPage(Page[AuditEntryOut]):
    """A page of audit entries, oldest first."""
