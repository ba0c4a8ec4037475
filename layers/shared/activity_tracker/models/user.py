"""Users (seeds: users): the DTO and what a user may change of themself."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from activity_tracker.dto import user_dto as user_dto  # re-exported: the DTOs live in activity_tracker.dto
from activity_tracker.models.base import Page, RequestModel, ResponseModel, Timestamp
from activity_tracker.vocabulary import Newsletter, Nivel, Role

IMAGE_URL_MAX_LENGTH = 2048
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class MePatch(RequestModel):
    """`PATCH /api/users/me`: only these; null clears a free-text field."""

    server_owned = frozenset({"id", "email", "active", "total_classes", "role", "organization_id", "created_at", "updated_at"})

    name: str | None = Field(None, max_length=200)
    image: str | None = Field(None, max_length=IMAGE_URL_MAX_LENGTH, description="An https URL (http only for localhost).")
    localidad: str | None = Field(None, max_length=200)
    telefono: str | None = Field(None, max_length=50)
    nivel: Nivel = "inicial"
    newsletter: Newsletter = "no"

    @field_validator("image")
    @classmethod
    def _image(cls, url: str | None) -> str | None:
        if url is not None and not is_image_url(url):
            raise PydanticCustomError("image_https_url", "image must be an https URL (http only for localhost) of printable ASCII, percent-encoded")
        return url


def is_image_url(url: str) -> bool:
    """An https URL with a host (http for a loopback host, in development), without credentials,
    spaces, control or non-ASCII characters. Apps render it: never `javascript:`, `data:` or `file:`."""
    from urllib.parse import urlsplit

    if not url or len(url) > IMAGE_URL_MAX_LENGTH or not all("!" <= ch <= "~" for ch in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        return False
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if not host or parts.username is not None or parts.password is not None:
        return False
    return scheme == "https" or (scheme == "http" and host in LOOPBACK_HOSTS)


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
    created_at: Timestamp
    updated_at: Timestamp


class UserPage(Page[UserOut]):
    """A page of the organization's users, in the order they first signed in."""
