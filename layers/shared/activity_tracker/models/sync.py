"""Offline sync (WatermelonDB's sync protocol): the records a mentor's device holds, as changes."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from activity_tracker.models.activity import ActivityOut
from activity_tracker.models.base import QueryModel, RequestModel, ResponseModel
from activity_tracker.models.contact import ContactOut
from activity_tracker.models.user_progress import ProgressOut

SCHEMA_VERSION = 1  # the device schema these records follow (the fields of the REST answers)
# the last millisecond of the year 9999, the last a timestamp can name (a larger one answered 500, OverflowError)
MAX_TIMESTAMP_MS = 253_402_300_799_999


class PullQuery(QueryModel):
    last_pulled_at: int = Field(0, ge=0, le=MAX_TIMESTAMP_MS, description="The `timestamp` of the last complete pull (ms since the epoch); 0 or absent: everything.")
    schema_version: int = Field(SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION, description="The device's schema version (WatermelonDB's schemaVersion).")
    cursor: str | None = Field(None, max_length=4096, description="The `cursor` of the previous answer while `has_more` is true.")


SERVER_ID = Field(description="The server's id of the record (`id` is the device's `local_id` when it gave one).")


class SyncedActivity(ActivityOut):
    """An activity as the device stores it: `id` is its `local_id`, or the server id when it was born on the server."""

    server_id: str = SERVER_ID


class SyncedContact(ContactOut):
    """A contact of the organization as the device stores it."""

    server_id: str = SERVER_ID


class SyncedProgress(ProgressOut):
    """A progress row of the caller as the device stores it."""

    server_id: str = SERVER_ID


R = TypeVar("R", bound=BaseModel)


class TableChanges(ResponseModel, Generic[R]):
    """WatermelonDB's changes of one table: records created and updated since `last_pulled_at`, and the ids deleted."""

    created: list[R] = Field(description="On a first pull (`last_pulled_at` 0): every record. Otherwise empty: changed records come as `updated` (synchronize() with `sendCreatedAsUpdated: true`).")
    updated: list[R]
    deleted: list[str] = Field(description="Ids (as the device knows them) of records deleted since `last_pulled_at`.")


class PullChanges(ResponseModel):
    activities: TableChanges[SyncedActivity]
    contacts: TableChanges[SyncedContact]
    user_progress: TableChanges[SyncedProgress]


class PullAnswer(ResponseModel):
    """Everything that changed since `last_pulled_at`, a page at a time (see docs/data-model.md, Offline sync)."""

    changes: PullChanges
    timestamp: int = Field(
        description="Send it as `last_pulled_at` next time, once `has_more` is false. It lags the server's clock by the safety window: the next pull sends again what changed in that window (upserts on the device)."
    )
    has_more: bool = Field(description="True: call again with `cursor` (same `last_pulled_at`) and merge the answers before applying them.")
    cursor: str | None


class PushQuery(QueryModel):
    last_pulled_at: int = Field(
        0,
        ge=0,
        le=MAX_TIMESTAMP_MS,
        description="The `timestamp` of the device's last pull (WatermelonDB sends it; 0 when it never pulled): a record changed on the server after it fails the push (409), so the device pulls first.",
    )


class PushBody(RequestModel):
    changes: dict[str, Any] = Field(
        description="WatermelonDB's changes: `activities` and `contacts`, each {created, updated, deleted}; records as the device holds them (its `id`, the fields of the REST answers; server-owned fields are ignored)."
    )


class PushCounts(ResponseModel):
    created: int
    updated: int
    deleted: int


class PushAnswer(ResponseModel):
    """What the push changed (records already as pushed, e.g. a replayed push, count as nothing)."""

    activities: PushCounts
    contacts: PushCounts
