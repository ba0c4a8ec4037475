"""Activities (seed: Meander Activity): request shapes and the DTO. Cross-field rules live in
`rules/activities.py`, because they need the organization (time zone) and the stored item."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, SkipValidation, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from activity_tracker.dto import activity_dto as activity_dto  # re-exported: the DTOs live in activity_tracker.dto
from activity_tracker.models.base import Day, Id, IsoDate, Page, QueryModel, RequestModel, ResponseModel, Timestamp, absent
from activity_tracker.vocabulary import ACTIVITY_TYPES, ActivityType

REVIEW_FIELDS = frozenset({"status", "reviewed_by_user_id", "reviewed_at", "rejection_reason"})
SERVER_OWNED = frozenset(
    {"id", "organization_id", "registered_by_user_id", "duplicate_of_activity_id", "has_home_visit_report", "bufdir_eligible",
     "is_bulk_registration", "is_proxy_registration", "created_at", "updated_at", "deleted_at", "local_date"} | REVIEW_FIELDS
)  # fmt: skip
MAX_DURATION_MINUTES = 24 * 60
MAX_PARTICIPANTS = 10_000


def _duration(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise PydanticCustomError("duration_positive_integer", "duration_minutes must be a positive whole number of minutes")
    if value > MAX_DURATION_MINUTES:
        raise PydanticCustomError("duration_positive_integer", "duration_minutes must be at most 1440 (one day)")
    return value


def _activity_type(value: Any) -> Any:
    if value not in ACTIVITY_TYPES:
        raise PydanticCustomError("activity_type_valid_enum", f"activity_type must be one of {', '.join(ACTIVITY_TYPES)}")
    return value


def _participants(value: Any) -> Any:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PARTICIPANTS):
        raise PydanticCustomError("group_activity_requires_participant_count", "participant_count must be a whole number from 2 (or null for a single contact)")
    return value


# The three fields below are validated by the functions above (for their rule names): `Any` to
# pydantic, and the schema a client codes against says what the functions accept.
DurationMinutes = Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_DURATION_MINUTES})]
ActivityTypeName = Annotated[Any, WithJsonSchema({"type": "string", "enum": list(ACTIVITY_TYPES)})]
# from 2: a count is only for a group activity, which needs at least 2 (rules.validate refuses 0 and 1 in any state)
ParticipantCount = Annotated[Any, WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 2, "maximum": MAX_PARTICIPANTS}, {"type": "null"}]})]
# group_activity_requires_participant_count, as JSON Schema says it for a body that names both fields (rules.validate
# checks it on the resulting state): a group activity counts its participants, anything else has no count
GROUP_COUNT_SENT: list[Any] = [
    {"if": {"properties": {"is_group_activity": {"const": True}}, "required": ["is_group_activity"]}, "then": {"properties": {"participant_count": {"type": "integer"}}}},
    {"if": {"properties": {"is_group_activity": {"const": False}}, "required": ["is_group_activity"]}, "then": {"properties": {"participant_count": {"type": "null"}}}},
]
# on create nothing is stored yet (is_group_activity defaults to false): a group needs its count, the rest none; and
# summary_required_for_wizard_registration: a wizard registration needs a summary with a visible character
NEW_ACTIVITY_RULES: dict[str, Any] = {
    "allOf": [
        {
            "if": {"properties": {"is_group_activity": {"const": True}}, "required": ["is_group_activity"]},
            "then": {"required": ["participant_count"], "properties": {"participant_count": {"type": "integer"}}},
            "else": {"properties": {"participant_count": {"type": "null"}}},
        },
        {
            "if": {"properties": {"registration_mode": {"const": "wizard"}}, "required": ["registration_mode"]},
            "then": {"required": ["summary"], "properties": {"summary": {"type": "string", "pattern": "\\S"}}},
        },
    ]
}
# `YYYY-MM-DD` (the day, in the organization's time zone) or an ISO 8601 date-time, in the year 2000
# or later (rule activity_date_valid: the pattern says so to a client and a fuzzer; not in the future is
# checked against the clock and cannot be said in JSON Schema)
YEAR_2000_OR_LATER = "^[2-9][0-9]{3}-"
ActivityDate = Annotated[
    str,
    Field(min_length=10, max_length=40),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date", "pattern": YEAR_2000_OR_LATER}, {"type": "string", "format": "date-time", "maxLength": 40, "pattern": YEAR_2000_OR_LATER}]}),
]


def _must_be_object(value: Any) -> Any:
    if not isinstance(value, dict):
        raise PydanticCustomError("dict_type", "Input should be a valid dictionary")
    return value


class ActivityFields(RequestModel):
    """The fields a client may write on create and on patch. Strict: JSON types, unknown fields refused."""

    server_owned = SERVER_OWNED
    server_owned_rules = dict.fromkeys(REVIEW_FIELDS, "review_fields_consistent")

    activity_date: ActivityDate = None  # type: ignore[assignment]
    duration_minutes: DurationMinutes = None
    activity_type: ActivityTypeName = None
    summary: str | None = Field(None, max_length=20_000)
    contact_id: Id | None = None
    is_group_activity: bool = None  # type: ignore[assignment]
    participant_count: ParticipantCount = None
    calendar_event_uid: str | None = Field(None, max_length=1024)

    _duration = field_validator("duration_minutes")(classmethod(lambda cls, v: _duration(v)))
    _type = field_validator("activity_type")(classmethod(lambda cls, v: _activity_type(v)))
    _participants = field_validator("participant_count")(classmethod(lambda cls, v: _participants(v)))


class ActivityCreate(ActivityFields):
    """`POST /api/activities` (and each item of sync)."""

    model_config = ConfigDict(json_schema_extra=NEW_ACTIVITY_RULES)

    activity_date: ActivityDate
    activity_type: ActivityTypeName
    user_id: Id | None = None
    local_id: str | None = Field(None, min_length=1, max_length=200)
    registration_mode: Literal["quick", "wizard"] = "quick"


class ActivityPatch(ActivityFields):
    """`PATCH /api/activities/{id}`: only the fields sent change; `version` guards against lost updates."""

    model_config = ConfigDict(json_schema_extra={"allOf": GROUP_COUNT_SENT})  # the stored state decides the rest
    server_owned = SERVER_OWNED | {"user_id", "local_id", "registration_mode"}

    bufdir_excluded: bool = None  # type: ignore[assignment]
    version: int = Field(None, ge=1)  # type: ignore[assignment]


class ActivityReview(RequestModel):
    # review_fields_consistent, as JSON Schema says it (rules.review checks it): flag and reject need a
    # reason with a visible character, approve and reopen take none (null or absent)
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"action": {"enum": ["flag", "reject"]}}, "required": ["action"]},
            "then": {"required": ["reason"], "properties": {"reason": {"type": "string", "pattern": "\\S"}}},
            "else": {"properties": {"reason": {"type": "null"}}},
        }
    )

    action: Literal["approve", "flag", "reject", "reopen"]
    reason: str | None = Field(None, max_length=5_000)
    version: int = Field(None, ge=1, description="The `version` the reviewer read: 409 `version_conflict` if the activity changed since.")  # type: ignore[assignment]


class SyncRequest(RequestModel):
    # each item is validated on its own (one bad item never sinks the others), so not here
    items: list[SkipValidation[ActivityCreate]] = Field(min_length=1)


class BulkActivity(ActivityFields):
    model_config = ConfigDict(json_schema_extra=NEW_ACTIVITY_RULES)

    activity_date: ActivityDate
    activity_type: ActivityTypeName
    registration_mode: Literal["quick", "wizard"] = "quick"


class BulkRequest(RequestModel):
    user_ids: list[Id] = Field(min_length=1)
    activity: Annotated[SkipValidation[BulkActivity], BeforeValidator(_must_be_object)]  # validated by the logic, with its rule names


class HomeVisitReportCreate(RequestModel):
    content: str = Field(min_length=1, max_length=100_000)


class ActivityListQuery(QueryModel):
    user_id: Id | None = None
    from_: IsoDate | None = Field(None, alias="from")
    to: IsoDate | None = None
    status: Literal["under_review", "approved", "flagged", "rejected"] | None = None
    activity_type: Literal["home_visit", "phone_call", "meeting", "group_activity", "course", "other"] | None = None
    contact_id: Id | None = None
    include_deleted: bool = False
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048)


class ActivityGetQuery(QueryModel):
    include_deleted: bool = False


ActivityStatus = Literal["under_review", "approved", "flagged", "rejected"]


class ActivityOut(ResponseModel):
    """An activity, as every activity endpoint answers it."""

    id: str
    organization_id: str
    user_id: str = Field(description="Whose activity it is.")
    registered_by_user_id: str = Field(description="Who registered it: the user, or a coordinator/admin registering for them.")
    activity_date: Timestamp = Field(description="When it happened: ISO 8601 UTC with `Z`.")
    local_date: Day = Field(
        description="The calendar day it happened on in the organization's time zone, `YYYY-MM-DD`: the date the user typed "
        "(`activity_date: \"2026-11-20\"` in Oslo is stored as `2026-11-19T23:00:00.000Z` and `local_date` `2026-11-20`). "
        "Fixed when `activity_date` is written; a later change of the organization's time zone does not move it. "
        "Duplicates, statistics months and Bufdir periods count by it."
    )
    duration_minutes: int = Field(description="1..1440.")
    activity_type: ActivityType
    summary: str | None
    contact_id: str | None
    is_group_activity: bool
    participant_count: int | None = Field(description="Group activities only (at least 2); null otherwise.")
    is_proxy_registration: bool = Field(description="Registered by someone other than the user.")
    is_bulk_registration: bool
    status: ActivityStatus = Field(description="Every new activity starts `under_review`.")
    reviewed_by_user_id: str | None
    reviewed_at: Timestamp | None
    rejection_reason: str | None = Field(description="The reviewer's reason, when flagged or rejected.")
    duplicate_of_activity_id: str | None = Field(description="Set by the server when this turns out to duplicate an earlier activity.")
    calendar_event_uid: str | None
    has_home_visit_report: bool
    bufdir_eligible: bool = Field(
        description="Computed by the server on every change of the activity, with the organization's type → category mapping of that moment. "
        "The Bufdir export applies the rules again with the mapping at export time."
    )
    bufdir_excluded: bool = Field(description="An admin excluded it from Bufdir.")
    local_id: str | None = Field(description="The client's offline id, unique per organization.")
    created_at: Timestamp
    updated_at: Timestamp
    deleted_at: Timestamp | None = Field(description="Set when soft-deleted.")
    version: int = Field(description="Starts at 1 and grows by one on every change; send it on PATCH to refuse lost updates.")


class ActivityWarning(ResponseModel):
    """The activity was created, but looks like another one."""

    code: Literal["suspected_duplicate"]
    activity_id: str = Field(description="The live activity of the same contact within ±1 day that it resembles.")


class ActivityCreated(ActivityOut):
    """`POST /api/activities`: the activity plus warnings. 201 when created, 200 when `local_id` was known and the caller
    wrote that record (its owner, or the coordinator who registered it): the stored record, unchanged. Anyone else's
    known `local_id` is 409 `conflict` (rule `local_id_unique_per_org`)."""

    warnings: list[ActivityWarning] = Field(description="Empty unless the activity looks like a duplicate (never for a replayed `local_id`).")


class ActivityPage(Page[ActivityOut]):
    """A page of activities, newest `activity_date` first."""


class HomeVisitReportOut(ResponseModel):
    """The home-visit report just written; its activity now has `has_home_visit_report: true`."""

    id: str
    organization_id: str
    activity_id: str
    content: str
    created_by_user_id: str
    created_at: Timestamp


class BatchErrorDetail(ResponseModel):
    field: str
    rule: str
    message: str
    activity_id: str | None = absent("With rule `duplicate_activity`: the activity this one duplicates.")


class BatchItemError(ResponseModel):
    """Why one item of a batch was refused: the error body the same request alone would get, plus its status."""

    code: str = Field(description="As in an error response, e.g. `validation_error`, `duplicate_activity`, `not_found`.")
    message: str
    details: list[BatchErrorDetail]
    status: int = Field(description="The HTTP status the item alone would have got.")


class SyncedItem(ResponseModel):
    local_id: str
    outcome: Literal["created", "existing"] = Field(
        description="`existing`: the caller wrote this `local_id` before; the stored record, unchanged. Another user's `local_id` is `rejected` with a 409 `conflict`."
    )
    activity: ActivityOut
    warnings: list[ActivityWarning]


class SyncRejectedItem(ResponseModel):
    local_id: str | None = Field(description="The item's `local_id` when it sent a string, else null.")
    outcome: Literal["rejected"]
    error: BatchItemError


class SyncResults(ResponseModel):
    """`POST /api/activities/sync`: one result per item, in request order. One bad item never sinks the others."""

    results: list[Annotated[SyncedItem | SyncRejectedItem, Field(discriminator="outcome")]]


class BulkCreatedItem(ResponseModel):
    user_id: str
    outcome: Literal["created"]
    activity: ActivityOut
    warnings: list[ActivityWarning]


class BulkRejectedItem(ResponseModel):
    user_id: str
    outcome: Literal["rejected"]
    error: BatchItemError


class BulkResults(ResponseModel):
    """`POST /api/activities/bulk`: one result per `user_ids` entry, in request order."""

    results: list[Annotated[BulkCreatedItem | BulkRejectedItem, Field(discriminator="outcome")]]
