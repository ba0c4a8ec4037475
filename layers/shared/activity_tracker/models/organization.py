"""Organization: the DTO and the admin's patch."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from activity_tracker.dto import organization_dto as organization_dto  # re-exported: the DTOs live in activity_tracker.dto
from activity_tracker.models.base import RequestModel, ResponseModel
from activity_tracker.vocabulary import ActivityType, BufdirCategory

CalendarKeyword = Annotated[str, Field(min_length=1, max_length=100)]
CALENDAR_ACTIVITY_TYPES = (
    "Calendar import: keyword → activity type. An event whose CATEGORIES holds a keyword (case-insensitive), else whose SUMMARY "
    "contains one, gets that type (categories first, then keywords in this order); any other event is a `meeting`. "
    "A PATCH replaces the whole map (at most 100 keywords)."
)


class OrganizationPatch(RequestModel):
    """`PATCH /api/organization`; `activity_type_categories` is merged into the stored map."""

    server_owned = frozenset({"id", "created_at", "updated_at"})

    # Defaults are not validated: an omitted field stays unchanged, an explicit null is refused.
    name: str = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
    timezone: str = None  # type: ignore[assignment]
    is_test_organization: bool = None  # type: ignore[assignment]
    activity_type_categories: dict[ActivityType, BufdirCategory | None] = None  # type: ignore[assignment]
    calendar_activity_types: dict[CalendarKeyword, ActivityType] = Field(None, max_length=100, description=CALENDAR_ACTIVITY_TYPES)  # type: ignore[assignment,arg-type]

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, timezone: str) -> str:
        if not is_iana_timezone(timezone):
            raise PydanticCustomError("timezone_valid_iana", "timezone must be an IANA time zone such as Europe/Oslo")
        return timezone


class OrganizationOut(ResponseModel):
    """The caller's organization."""

    id: str
    name: str
    timezone: str
    is_test_organization: bool
    activity_type_categories: dict[ActivityType, BufdirCategory | None] = Field(description="Activity type → Bufdir category; null: Bufdir does not count that type.")
    calendar_activity_types: dict[str, ActivityType] = Field(description=CALENDAR_ACTIVITY_TYPES)


def is_iana_timezone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
