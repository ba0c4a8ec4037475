"""Domain errors. Logic raises them; `api.py` maps them to the HTTP error body in one place."""

from __future__ import annotations

from typing import Any

# Every error `code` the API answers (docs/openapi.json's `Error.code` enum), with its status.
ERROR_CODES: dict[str, int] = {
    "validation_error": 400, "invalid_json": 400, "unauthorized": 401, "forbidden": 403, "not_found": 404,
    "conflict": 409, "duplicate_activity": 409, "version_conflict": 409, "class_full": 409, "invalid_transition": 409,
    "resync_required": 409, "precondition_failed": 412, "payload_too_large": 413, "idempotency_key_reused": 422,
    "rate_limited": 429, "internal_error": 500, "service_unavailable": 503,
}  # fmt: skip

# Every `details[].rule` the API answers (docs/openapi.json's `ErrorDetail.rule` enum): the rules
# of API.md that the code names, then the pydantic error types our request models can produce
# (models/base.py renames a few). tests/unit/test_error_registry.py scans the code for rule names
# and every test call checks the rules it gets (tests/helpers.py): a rule missing here fails them.
NAMED_RULES = frozenset({
    "activity_date_not_in_future", "activity_date_valid", "activity_type_valid_enum", "admin_cannot_demote_self",
    "class_full", "class_took_place", "conflict", "contact_id_exists_in_organization", "cursor_invalid", "date_format",
    "date_range_valid", "duplicate_activity", "duration_positive_integer", "export_daily_quota", "group_activity_requires_participant_count",
    "home_visit_report_requires_home_visit", "id_format", "image_https_url", "individual_class_holds_one", "invalid_transition",
    "item_id_max_length", "item_id_required", "item_too_large", "local_id_required_for_sync", "local_id_unique_per_org",
    "metadata_must_be_object", "must_be_object", "one_export_at_a_time", "period_at_most_366_days", "period_end_not_before_start", "period_valid_dates", "proxy_registration_requires_coordinator_role",
    "review_fields_consistent", "review_not_own_activity", "scheduled_at_in_future", "scheduled_at_valid", "score_out_of_range",
    "server_owned_field", "summary_required_for_wizard_registration", "timezone_valid_iana", "version_conflict",
    "required", "unknown_field", "must_be_one_of",
    # offline sync and retries (logic/sync.py, idempotency.py, If-Match)
    "changed_since_last_pull", "id_unique_per_org", "idempotency_key_format", "idempotency_key_in_progress", "idempotency_key_reused",
    "contact_not_deleted", "precondition_failed", "resync_required", "sync_change_not_supported", "sync_changes_shape", "sync_record_shape", "sync_table_unknown",
    # privacy (logic/privacy.py, models/organization.py)
    "admin_cannot_erase_self", "retention_years_in_range",
    # calendars (calendars/parse.py, logic/calendar_import.py, logic/calendar_feed.py): errors, and the import's per-event rules
    "calendar_activity_deleted", "calendar_charset", "calendar_event_cancelled", "calendar_event_declined", "calendar_event_invalid",
    "calendar_event_longer_than_a_day", "calendar_event_nested_component", "calendar_event_outside_window", "calendar_event_repeated",
    "calendar_event_uid_required", "calendar_events_max", "calendar_feed_rate", "calendar_malformed", "calendar_occurrences_max",
    "calendar_recurrence_too_frequent", "calendar_update_requires_under_review",
})  # fmt: skip
PYDANTIC_RULES = frozenset({
    "bool_parsing", "bool_type", "dict_type", "greater_than_equal", "int_from_float", "int_parsing", "int_type", "less_than_equal",
    "list_type", "string_pattern_mismatch", "string_too_long", "string_too_short", "string_type", "too_long", "too_short",
    "value_error", "union_tag_invalid", "model_type",
})  # fmt: skip
RULES = NAMED_RULES | PYDANTIC_RULES


class DomainError(Exception):
    status: int = 400
    code: str = "validation_error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.headers: dict[str, str] = {}  # response headers that go with the error (Retry-After)
        if code:
            self.code = code

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class ValidationFailed(DomainError):
    status, code = 400, "validation_error"


class InvalidJson(DomainError):
    status, code = 400, "invalid_json"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"

    def __init__(self, what: str = "item"):
        super().__init__(f"No such {what} in your organization.")


class Conflict(DomainError):
    """409. `code` is one of conflict, duplicate_activity, version_conflict, class_full, invalid_transition."""

    status, code = 409, "conflict"


class PreconditionFailed(DomainError):
    """412: `If-Match` names another version than the current one (its `ETag`)."""

    status, code = 412, "precondition_failed"


class PayloadTooLarge(DomainError):
    status, code = 413, "payload_too_large"


class ServiceUnavailable(DomainError):
    """503: DynamoDB or S3 stayed throttled, failing or unreachable through every retry, or a
    transaction met a concurrent one. Nothing was acknowledged; the same request may be sent again
    (an activity with its `local_id` replays as 200)."""

    status, code = 503, "service_unavailable"

    def __init__(self, message: str = "The service is busy; try again shortly.", retry_after_seconds: int = 1):
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after_seconds)}


# AWS error codes that say "not now" rather than "no": the request may succeed when sent again.
TRANSIENT_AWS_CODES = frozenset({
    "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded", "InternalServerError",
    "InternalFailure", "ServiceUnavailable", "TransactionConflictException", "TransactionInProgressException",
    "SlowDown", "InternalError", "RequestTimeout", "RequestTimeoutException",
})  # fmt: skip


def is_transient(error: BaseException) -> bool:
    """Whether `error` (or what it wraps: PynamoDB keeps the botocore error as `cause`) is a
    throttle, a server-side failure, a timeout, a dropped connection or a transaction conflict."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (ConnectionError, HTTPClientError)):
            return True
        reasons = [getattr(r, "code", None) for r in getattr(current, "cancellation_reasons", None) or []]  # PynamoDB's
        if isinstance(current, ClientError):
            if current.response.get("Error", {}).get("Code") in TRANSIENT_AWS_CODES or current.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
                return True
            reasons = reasons or [r.get("Code") for r in current.response.get("CancellationReasons") or []]
        if reasons:  # a cancelled transaction: transient only when nothing but a concurrent one stopped it
            return "TransactionConflict" in reasons and "ConditionalCheckFailed" not in reasons
        current = getattr(current, "cause", None) or current.__cause__ or current.__context__
    return False


class RateLimited(DomainError):
    """429 with `Retry-After` (seconds): a quota or a one-at-a-time limit."""

    status, code = 429, "rate_limited"

    def __init__(self, message: str, details: list[dict[str, Any]], retry_after_seconds: int):
        super().__init__(message, details)
        self.headers = {"Retry-After": str(max(1, int(retry_after_seconds)))}


def rule_violation(field: str, rule: str, message: str, *, status: int = 400) -> DomainError:
    """A single broken validation rule, named as in API.md."""
    error: DomainError
    if status == 403:
        error = Forbidden(message)
    else:
        error = ValidationFailed(message)
    error.details = [{"field": field, "rule": rule, "message": message}]
    return error
