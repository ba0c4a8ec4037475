"""Users (seeds: users): the DTO and what a user may change of themself."""

from __future__ import annotations

from pydantic import Field

from activity_tracker.dto import user_dto as user_dto  # re-exported: the DTOs live in activity_tracker.dto
from activity_tracker.models.base import Page, RequestModel, ResponseModel
from activity_tracker.vocabulary import Newsletter, Nivel, Role


class MePatch(RequestModel):
    """`PATCH /api/users/me`: only these; null clears a free-text field."""

    server_owned = frozenset({"id", "email", "active", "total_classes", "role", "organization_id", "created_at", "updated_at"})

    name: str | None = Field(None, max_length=200)
    image: str | None = Field(None, max_length=2048)
    localidad: str | None = Field(None, max_length=200)
    telefono: str | None = Field(None, max_length=50)
    nivel: Nivel = "inicial"
    newsletter: Newsletter = "no"


class UserOut(ResponseModel):
    """A user of the organization (`GET /api/users/me` answers the caller)."""

    id: str
    email: str
    name: str | None
    image: str | None
    localidad: str | None
    telefono: str | None
    nivel: Nivel
    active: bool
    newsletter: Newsletter
    total_classes: int
    role: Role
    organization_id: str
    created_at: str
    updated_at: str


class UserPage(Page[UserOut]):
    """A page of the organization's users, in the order they first signed in."""
