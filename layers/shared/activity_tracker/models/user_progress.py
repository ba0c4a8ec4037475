"""User progress (seed: user_progress): request shapes and the DTO, kept exactly."""

from __future__ import annotations

from typing import Annotated, Any, get_args

from pydantic import ConfigDict, Field, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from activity_tracker import keys
from activity_tracker.dto import progress_dto as progress_dto  # re-exported: the DTOs live in activity_tracker.dto
from activity_tracker.limits import SORT_KEY_MAX_BYTES, storable_number, utf8_size
from activity_tracker.models.base import QueryModel, RequestModel, ResponseModel, Timestamp
from activity_tracker.vocabulary import ProgressType

ITEM_ID_MAX_LENGTH = 512
# item_id is the end of the row's sort key `PROGRESS#<type>#<item_id>`, which DynamoDB holds to 1,024 bytes
ITEM_ID_MAX_BYTES = SORT_KEY_MAX_BYTES - max(utf8_size(keys.progress_sk(kind, "")) for kind in get_args(ProgressType))


def _bounded_item_id(item_id: str) -> str:
    if len(item_id) > ITEM_ID_MAX_LENGTH or utf8_size(item_id) > ITEM_ID_MAX_BYTES:
        raise PydanticCustomError("item_id_max_length", f"item_id must be at most {ITEM_ID_MAX_LENGTH} characters and {ITEM_ID_MAX_BYTES} bytes in UTF-8")
    return item_id


class ProgressInput(RequestModel):
    # value/score/metadata take any JSON; value and score are kept only when of the right type.
    model_config = ConfigDict(extra="forbid", strict=True)

    progress_type: ProgressType
    item_id: str
    # the schema says what is kept; other JSON is accepted (as by the app this replaces) and stored as null
    value: Annotated[Any, WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}], "description": "Kept when a string; any other JSON value is stored as null."})] = None
    score: Annotated[Any, WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "null"}], "description": "Kept when a number; any other JSON value is stored as null."})] = None
    metadata: Annotated[Any, WithJsonSchema({"anyOf": [{"type": "object"}, {"type": "null"}]})] = None

    @field_validator("item_id")
    @classmethod
    def _item_id(cls, item_id: str) -> str:
        item_id = item_id.strip()
        if not item_id:
            raise PydanticCustomError("item_id_required", "item_id must be a non-empty string")
        return _bounded_item_id(item_id)

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, metadata: Any) -> Any:
        if metadata is not None and not isinstance(metadata, dict):
            raise PydanticCustomError("metadata_must_be_object", "metadata must be a JSON object or null")
        return metadata

    @field_validator("score")
    @classmethod
    def _score(cls, score: Any) -> Any:
        if _is_number(score) and not storable_number(score):
            raise PydanticCustomError("score_out_of_range", "score must have at most 38 significant digits and a magnitude from 1e-130 to 9.99e125 (or be 0)")
        return score

    def kept_value(self) -> str | None:
        return self.value if isinstance(self.value, str) else None

    def kept_score(self) -> float | int | None:
        return self.score if _is_number(self.score) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class ProgressBody(RequestModel):
    data: ProgressInput


class ProgressListQuery(QueryModel):
    progress_type: ProgressType
    item_id: str | None = None
    limit: int = Field(20, ge=1, le=100)
    page: int = Field(1, ge=1)

    _item_id = field_validator("item_id")(classmethod(lambda cls, v: v if v is None else _bounded_item_id(v.strip())))


class ProgressDeleteQuery(QueryModel):
    progress_type: ProgressType
    item_id: str = Field(min_length=1)

    _item_id = field_validator("item_id")(classmethod(lambda cls, v: _bounded_item_id(v.strip())))


class ProgressOut(ResponseModel):
    """One progress row of the caller (one per progress_type and item_id)."""

    id: str
    progress_type: ProgressType
    item_id: str
    value: str | None
    score: float | None
    metadata: dict[str, Any] | None
    organizationId: str
    campusId: str | None
    userId: str
    createdAt: Timestamp
    updatedAt: Timestamp


class ProgressRows(ResponseModel):
    """A page of the caller's rows, newest `createdAt` first; `count` is the total matching, not the page size."""

    rows: list[ProgressOut]
    count: int


class DeletedCount(ResponseModel):
    """How many rows were deleted: 0 or 1."""

    deletedCount: int
