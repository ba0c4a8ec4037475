"""Domain errors. Logic raises them; `api.py` maps them to the HTTP error body in one place."""

from __future__ import annotations

from typing import Any


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


class PayloadTooLarge(DomainError):
    status, code = 413, "payload_too_large"


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
