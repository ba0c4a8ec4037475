"""Contacts: the people or groups activities relate to."""

from __future__ import annotations

from pydantic import Field

from activity_tracker.dto import contact_dto as contact_dto  # re-exported: the DTOs live in activity_tracker.dto
from activity_tracker.models.base import Page, QueryModel, RequestModel, ResponseModel, Timestamp


class ContactCreate(RequestModel):
    server_owned = frozenset({"id", "organization_id", "created_by_user_id", "created_at", "updated_at", "version", "deleted_at"})

    name: str = Field(min_length=1, max_length=200)
    notes: str | None = Field(None, max_length=10_000)


class ContactPatch(RequestModel):
    """The fields of a contact its creator or a coordinator/admin may change (absent: unchanged)."""

    server_owned = frozenset({"id", "organization_id", "created_by_user_id", "created_at", "updated_at", "deleted_at"})

    name: str = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]  # absent: unchanged; null is 400
    notes: str | None = Field(None, max_length=10_000)
    version: int = Field(None, ge=0, description="The version the client read; another one is 409 `version_conflict` (or send `If-Match`).")  # type: ignore[assignment]


class ContactListQuery(QueryModel):
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048)


class ContactOut(ResponseModel):
    """A contact: a person or group that activities relate to (an activity's `contact_id`)."""

    id: str
    organization_id: str
    name: str
    notes: str | None
    created_by_user_id: str
    created_at: Timestamp
    updated_at: Timestamp
    version: int = Field(description='Starts at 1 and grows by one on every change; the `ETag` is `"v<version>"`.')


class ContactPage(Page[ContactOut]):
    """A page of the organization's contacts, by name (case-insensitive)."""
