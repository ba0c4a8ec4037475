"""Base models and the translation of pydantic errors into API.md's `details` items."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from activity_tracker.errors import ValidationFailed
from activity_tracker.keys import SAFE_ID, SAFE_ID_MAX_BYTES, SAFE_ID_RULE, is_safe_id
from activity_tracker.pagination import check_date_range as check_date_range  # re-exported: it lives where the lists read it without pydantic

M = TypeVar("M", bound=BaseModel)

# Pydantic's error types that get a friendlier rule name; every other error keeps pydantic's type
# (e.g. `string_too_long`, `int_type`), and custom validators raise `PydanticCustomError(rule, ...)`
# with the rule names of API.md.
_RULE_NAMES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "literal_error": "must_be_one_of",
    "enum": "must_be_one_of",
}


def _safe_id(value: str) -> str:
    if not is_safe_id(value):
        raise PydanticCustomError("id_format", f"must be {SAFE_ID_RULE} characters")
    return value


# An id a client names (of a user, contact, task, class...): it goes into keys joined with `#`.
Id = Annotated[str, AfterValidator(_safe_id), WithJsonSchema({"type": "string", "pattern": f"^{SAFE_ID.pattern}$", "minLength": 1, "maxLength": SAFE_ID_MAX_BYTES})]


def _real_date(value: str) -> str:
    # the pattern alone lets `2026-13-40` through (found by `make fuzz`: it answered 500)
    from datetime import date

    try:
        date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_format", "must be a real date YYYY-MM-DD") from None
    return value


# A calendar date `YYYY-MM-DD` (0001-01-01 .. 9999-12-31), e.g. a list's `from` and `to`.
IsoDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"}), AfterValidator(_real_date)]

# A calendar date the server wrote, `YYYY-MM-DD` (response models only).
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]

# A moment the server wrote: ISO 8601 UTC with `Z` (response models only).
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


WHOLE_FLOAT_LIMIT = 2**53


class RequestModel(BaseModel):
    """A request body: unknown fields are refused and JSON types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)  # built on first use: a cold start builds only the model it validates
    # Fields the server owns: a client that sends one gets rule `server_owned_field`, or the rule
    # named for that field in `server_owned_rules`.
    server_owned: ClassVar[frozenset[str]] = frozenset()
    server_owned_rules: ClassVar[dict[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: Any) -> Any:
        """A JSON number without a fraction is an integer (JSON Schema's `integer` counts `3.0`, and
        some encoders write every number so): `3.0` reads as `3`, `3.5` stays refused. Within 2**53,
        where a float holds every whole number exactly."""
        if not isinstance(data, dict) or not any(type(value) is float for value in data.values()):
            return data
        return {key: int(value) if type(value) is float and value.is_integer() and abs(value) <= WHOLE_FLOAT_LIMIT else value for key, value in data.items()}


class QueryModel(BaseModel):
    """A query string: every value arrives as a string, so numbers and booleans are parsed."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class ResponseModel(BaseModel):
    """The shape of a success body, for the OpenAPI contract (`endpoint(..., response=Model)`).

    Documentation only: handlers keep returning dicts, and the model is built only when the OpenAPI
    generator or a test uses it (`defer_build`: next to no cold-start cost). It lists every field the body
    has (`extra="forbid"`): the tests validate each success body of every call against it, strictly.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def absent(description: str) -> Any:
    """A response field that is left out of the body when it does not apply (never sent as null)."""
    return Field(None, description=description, json_schema_extra=_no_default)


T = TypeVar("T")


class Page(ResponseModel, Generic[T]):
    """A cursor-paginated list: `{"items": [...], "next_cursor": "<opaque>" | null}`."""

    items: list[T] = Field(description="At most `limit` items.")
    next_cursor: str | None = Field(description="Send it back as `cursor` for the next page; null when no items are left (a full page may still carry one, leading to an empty page).")


def details_of(error: ValidationError, model: type[BaseModel] | None = None, prefix: str = "") -> list[dict[str, Any]]:
    owned: frozenset[str] = getattr(model, "server_owned", frozenset())
    owned_rules: dict[str, str] = getattr(model, "server_owned_rules", {})
    details = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"])
        rule = _RULE_NAMES.get(item["type"], item["type"])
        message = item["msg"]
        if rule == "unknown_field" and len(item["loc"]) == 1 and item["loc"][0] in owned:
            rule, message = owned_rules.get(str(item["loc"][0]), "server_owned_field"), "is set by the server and cannot be sent"
        details.append({"field": f"{prefix}{field}" if field else prefix.rstrip(".") or "body", "rule": rule, "message": message})
    return details


def parse(model: type[M], data: Any, *, prefix: str = "") -> M:
    """Validate `data` into `model`, raising a 400 validation_error with one detail per problem."""
    if not isinstance(data, dict):
        raise ValidationFailed("The body must be a JSON object.", [{"field": prefix or "body", "rule": "must_be_object", "message": "must be an object"}])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed("The request is not valid.", details_of(error, model, prefix)) from None
