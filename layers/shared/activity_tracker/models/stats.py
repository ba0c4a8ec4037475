"""Statistics: the year asked for, and the monthly counts."""

from __future__ import annotations

from pydantic import Field

from activity_tracker.models.base import QueryModel, ResponseModel
from activity_tracker.vocabulary import ActivityType


class StatsQuery(QueryModel):
    year: int = Field(None, ge=2000, le=2100)  # type: ignore[assignment]  # default: this year in the organization's time zone


class MonthStats(ResponseModel):
    """One month: activities that are not deleted and not rejected, by the organization's time zone."""

    month: str = Field(description="YYYY-MM.")
    activity_count: int
    duration_minutes: int
    by_type: dict[ActivityType, int] = Field(description="Activity count per type; types without activities are left out.")


class OrganizationMonthStats(MonthStats):
    active_users: int = Field(description="Distinct users with a counted activity that month.")


class MyStats(ResponseModel):
    """The caller's statistics for one year."""

    year: int
    months: list[MonthStats] = Field(description="Twelve months, January first.")
    total_classes: int = Field(description="The caller's completed user activities, all time.")


class OrganizationStats(ResponseModel):
    """The organization's statistics for one year."""

    year: int
    months: list[OrganizationMonthStats] = Field(description="Twelve months, January first.")
