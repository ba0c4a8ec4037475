"""Organization: the DTO and the admin's patch."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from activity_tracker.dto import organization_dto as organization_dto  # re-exported: the DTOs live in activity_tracker.dto
from activity_tracker.models.base import RequestModel, ResponseModel
from activity_tracker.vocabulary import ActivityType, BufdirCategory

CalendarKeyword = Annotated[str, Field(min_length=1, max_length=100)]
CALENDAR_ACTIVITY_TYPES = (
    "Calendar import: keyword → activity type. An event whose CATEGORIES holds a keyword (case-insensitive), else whose SUMMARY "
    "contains one, gets that type (categories first, then keywords in this order); any other event is a `meeting`. "
    "A PATCH replaces the whole map (at most 100 keywords)."
)


class RetentionSettings(TypedDict, total=False):
    """How long personal free text is kept (docs/operations.md, Privacy)."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    # activities dated more than this many years ago lose their free text; null: kept. The range is checked by
    # OrganizationPatch (rule retention_years_in_range); the schema says it to a client and a fuzzer
    free_text_years: Annotated[int | None, WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 1, "maximum": 100}, {"type": "null"}]})]


class OrganizationPatch(RequestModel):
    """`PATCH /api/organization`; `activity_type_categories` is merged into the stored map."""

    server_owned = frozenset({"id", "created_at", "updated_at"})

    # Defaults are not validated: an omitted field stays unchanged, an explicit null is refused.
    name: str = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
    timezone: str = None  # type: ignore[assignment]
    is_test_organization: bool = None  # type: ignore[assignment]
    activity_type_categories: dict[ActivityType, BufdirCategory | None] = None  # type: ignore[assignment]
    calendar_activity_types: dict[CalendarKeyword, ActivityType] = Field(None, max_length=100, description=CALENDAR_ACTIVITY_TYPES)  # type: ignore[assignment,arg-type]
    retention: RetentionSettings = None  # type: ignore[assignment]

    @field_validator("retention")
    @classmethod
    def _retention(cls, retention: RetentionSettings) -> RetentionSettings:
        years = retention.get("free_text_years")
        if years is not None and not 1 <= years <= 100:
            raise PydanticCustomError("retention_years_in_range", "retention.free_text_years must be null or a whole number of years from 1 to 100")
        return {"free_text_years": years}

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
    retention: RetentionSettings = Field(description="How long personal free text is kept; `free_text_years` null: kept for ever (the default).")
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
