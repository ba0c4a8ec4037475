"""User progress (seed: user_progress): request shapes and the DTO, kept exactly."""

from __future__ import annotations

import math
from typing import Any

from pydantic import ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from activity_tracker.dto import progress_dto as progress_dto  # re-exported: the DTOs live in activity_tracker.dto
from activity_tracker.models.base import QueryModel, RequestModel, ResponseModel
from activity_tracker.vocabulary import ProgressType

ITEM_ID_MAX_LENGTH = 512
# DynamoDB numbers hold 38 significant digits, magnitudes up to 9.99e125.
SCORE_MAX_MAGNITUDE = 1e125


class ProgressInput(RequestModel):
    # value/score/metadata take any JSON; value and score are kept only when of the right type.
    model_config = ConfigDict(extra="forbid", strict=True)

    progress_type: ProgressType
    item_id: str
    value: Any = None
    score: Any = None
    metadata: Any = None

    @field_validator("item_id")
    @classmethod
    def _item_id(cls, item_id: str) -> str:
        item_id = item_id.strip()
        if not item_id:
            raise PydanticCustomError("item_id_required", "item_id must be a non-empty string")
        if len(item_id) > ITEM_ID_MAX_LENGTH:
            raise PydanticCustomError("item_id_max_length", f"item_id must be at most {ITEM_ID_MAX_LENGTH} characters")
        return item_id

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, metadata: Any) -> Any:
        if metadata is not None and not isinstance(metadata, dict):
            raise PydanticCustomError("metadata_must_be_object", "metadata must be a JSON object or null")
        return metadata

    @field_validator("score")
    @classmethod
    def _score(cls, score: Any) -> Any:
        if _is_number(score) and (not math.isfinite(score) or abs(score) > SCORE_MAX_MAGNITUDE):
            raise PydanticCustomError("score_out_of_range", "score is too large to store")
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


class ProgressDeleteQuery(QueryModel):
    progress_type: ProgressType
    item_id: str = Field(min_length=1)


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
    createdAt: str
    updatedAt: str


class ProgressRows(ResponseModel):
    """A page of the caller's rows, newest `createdAt` first; `count` is the total matching, not the page size."""

    rows: list[ProgressOut]
    count: int


class DeletedCount(ResponseModel):
    """How many rows were deleted: 0 or 1."""

    deletedCount: int
