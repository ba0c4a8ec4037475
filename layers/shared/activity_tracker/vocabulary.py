"""The closed vocabularies of API.md: roles, enums and defaults."""

from __future__ import annotations

from typing import Literal

Role = Literal["member", "moderator", "coordinator", "admin"]
ROLES: tuple[str, ...] = ("member", "moderator", "coordinator", "admin")
REVIEWER_ROLES = frozenset({"coordinator", "admin"})
USER_LISTING_ROLES = frozenset({"coordinator", "moderator", "admin"})
CONTENT_ROLES = frozenset({"admin", "moderator"})

Nivel = Literal["inicial", "basico", "intermedio", "avanzado"]
Newsletter = Literal["si", "no"]

ProgressType = Literal["sign_learned", "zone_checkin"]

ActivityType = Literal["home_visit", "phone_call", "meeting", "group_activity", "course", "other"]
ACTIVITY_TYPES: tuple[str, ...] = ("home_visit", "phone_call", "meeting", "group_activity", "course", "other")

BufdirCategory = Literal["outreach", "group", "peer_course"]
BUFDIR_CATEGORIES: tuple[str, ...] = ("outreach", "group", "peer_course")
DEFAULT_ACTIVITY_TYPE_CATEGORIES: dict[str, str | None] = {
    "home_visit": "outreach",
    "meeting": "outreach",
    "group_activity": "group",
    "course": "peer_course",
    "phone_call": None,
    "other": None,
}
DEFAULT_TIMEZONE = "Europe/Oslo"
