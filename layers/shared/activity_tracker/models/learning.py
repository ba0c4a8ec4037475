"""Learning platform (seeds: users, UserActivity): users administration, tasks, virtual classes
and user activities."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from activity_tracker.dto import class_dto as class_dto  # re-exported: the DTOs live in activity_tracker.dto
from activity_tracker.dto import task_dto as task_dto
from activity_tracker.dto import user_activity_dto as user_activity_dto
from activity_tracker.models.base import Id, IsoDate, Page, QueryModel, RequestModel, ResponseModel, Timestamp


class UserAdminPatch(RequestModel):
    """`PATCH /api/users/{id}` (admin): role and active only."""

    server_owned = frozenset({"id", "email", "organization_id", "total_classes", "created_at", "updated_at"})

    role: Literal["member", "moderator", "coordinator", "admin"] = None  # type: ignore[assignment]
    active: bool = None  # type: ignore[assignment]


class PageQuery(QueryModel):
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048)


class TaskCreate(RequestModel):
    server_owned = frozenset({"id", "organization_id", "created_by_user_id", "created_at", "updated_at"})

    title: str = Field(min_length=1, max_length=300)
    content: str = Field("", max_length=100_000)
    answer: str = Field("", max_length=100_000)
    description: str = Field("", max_length=2_000)
    type: Literal["exam", "audio", "video", "reading"]
    difficulty: Literal["easy", "medium", "hard"]


class TaskListQuery(PageQuery):
    type: Literal["exam", "audio", "video", "reading"] | None = None
    difficulty: Literal["easy", "medium", "hard"] | None = None


class ClassCreate(RequestModel):
    server_owned = frozenset({"id", "organization_id", "host_id", "current_participants", "participant_ids", "status", "task_ids", "created_at", "updated_at"})

    class_type: Literal["individual", "grupal"]
    max_participants: int = Field(None, ge=1, le=100)  # type: ignore[assignment]  # individual: 1 (the default)
    scheduled_at: str = Field(min_length=10, max_length=40, json_schema_extra={"format": "date-time"})
    title: str | None = Field(None, max_length=300)


class ClassListQuery(PageQuery):
    status: Literal["pending", "scheduled", "completed", "cancelled"] | None = None
    from_: IsoDate | None = Field(None, alias="from")
    to: IsoDate | None = None


class AttachTask(RequestModel):
    task_id: Id


class UserActivityListQuery(PageQuery):
    completed: bool | None = None
    role: Literal["anfitrion", "participante"] | None = None
    class_id: Id | None = None
    task_id: Id | None = None


TaskType = Literal["exam", "audio", "video", "reading"]
Difficulty = Literal["easy", "medium", "hard"]
ClassStatus = Literal["pending", "scheduled", "completed", "cancelled"]


class TaskOut(ResponseModel):
    """A learning task."""

    id: str
    organization_id: str
    title: str
    content: str | None
    answer: str | None = Field(description="Shown to admins and moderators only; null for everyone else.")
    description: str | None
    type: TaskType
    difficulty: Difficulty
    created_by_user_id: str
    created_at: Timestamp
    updated_at: Timestamp


class TaskPage(Page[TaskOut]):
    """A page of tasks, newest first."""


class ClassOut(ResponseModel):
    """A virtual class."""

    id: str
    organization_id: str
    host_id: str = Field(description="Who booked it; not counted in `participant_ids`.")
    class_type: Literal["individual", "grupal"]
    max_participants: int = Field(description="1 for an individual class.")
    current_participants: int = Field(description="How many joined (the host not counted).")
    participant_ids: list[str] = Field(description="Who joined, sorted.")
    status: ClassStatus = Field(description="`pending` until confirmed (`scheduled`); `completed` or `cancelled` from either. Joins only while pending or scheduled.")
    scheduled_at: Timestamp = Field(description="ISO 8601 UTC with `Z`.")
    title: str | None
    task_ids: list[str] = Field(description="Attached tasks, sorted.")
    created_at: Timestamp
    updated_at: Timestamp


class ClassPage(Page[ClassOut]):
    """A page of classes, earliest `scheduled_at` first."""


class UserActivityOut(ResponseModel):
    """The caller's part in a class: as host (`anfitrion`) or participant (`participante`)."""

    id: str
    user_id: str
    task_id: str | None = Field(description="The task last attached to the class while this user was in it; null if none.")
    class_id: str
    role: Literal["anfitrion", "participante"]
    completed: bool
    created_at: Timestamp
    updated_at: Timestamp


class UserActivityPage(Page[UserActivityOut]):
    """A page of the caller's user activities."""
