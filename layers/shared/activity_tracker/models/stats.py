"""Statistics: the year asked for."""

from __future__ import annotations

from pydantic import Field

from activity_tracker.models.base import QueryModel


class StatsQuery(QueryModel):
    year: int = Field(None, ge=2000, le=2100)  # type: ignore[assignment]  # default: this year in the organization's time zone
