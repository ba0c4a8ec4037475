"""Helpers shared by handler and end-to-end tests."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from local.events import http_event
from local.runner import Handlers
from local.template import Stack


@dataclass
class Person:
    org_id: str
    email: str
    sub: str
    campus_id: str | None = None
    email_verified: bool = True

    @classmethod
    def new(cls, org_id: str, email: str | None = None, campus_id: str | None = None) -> Person:
        return cls(org_id, email or f"{uuid.uuid4().hex[:10]}@tests.example", str(uuid.uuid4()), campus_id)

    @property
    def claims(self) -> dict[str, Any]:
        claims = {"sub": self.sub, "email": self.email, "email_verified": self.email_verified, "custom:org_id": self.org_id, "iss": "activity-tracker-local", "aud": "activity-tracker"}
        if self.campus_id:
            claims["custom:campus_id"] = self.campus_id
        return claims


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names

    @property
    def error(self) -> dict[str, Any]:
        return self.body["error"]

    @property
    def rules(self) -> list[str]:
        return [d["rule"] for d in self.body["error"]["details"]]


class Api:
    """Calls the real handlers with API Gateway v2 events, routed by template.yaml (no HTTP)."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.handlers = Handlers(stack)

    def call(self, method: str, path: str, who: Person | None, body: Any = None, *, raw: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
        from urllib.parse import urlsplit

        url = urlsplit(path)
        found = self.stack.match(method, url.path)
        assert found, f"no route for {method} {path}"
        route, function, params = found
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        event = http_event(method, route.key, url.path, url.query, {"content-type": "application/json", **{k.lower(): v for k, v in (headers or {}).items()}}, data, who.claims if who else None, params or None)
        result = self.handlers.invoke(function, event)
        answered = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
        if is_json(answered):
            check_success_body(self.handlers.get(function), result["statusCode"], result.get("body"), f"{method} {route.path}")
            check_error_body(result["statusCode"], result.get("body"), f"{method} {route.path}")
        else:
            check_media_type(self.handlers.get(function), result["statusCode"], answered, f"{method} {route.path}")
        return Reply(result["statusCode"], read_body(result.get("body"), answered), answered)


def is_json(headers: dict[str, str]) -> bool:
    return headers.get("content-type", "application/json").split(";")[0].strip() == "application/json"


def read_body(body: str | bytes | None, headers: dict[str, str]) -> Any:
    """A JSON answer parsed; any other (a calendar) as text."""
    if not body:
        return None
    if is_json(headers):
        return json.loads(body)
    return body.decode("utf-8") if isinstance(body, bytes) else body


def check_media_type(handler: Any, status: int, headers: dict[str, str], where: str) -> None:
    """A success answer that is not JSON is one its endpoint() declares, of the media type it declares."""
    declared, _ = declared_response(handler, status)
    assert declared, f"{where} answered {status}, a success status its endpoint() does not declare"
    media = (getattr(handler, "media_types", None) or {}).get("response")
    assert media and headers.get("content-type", "").startswith(media), f"{where} answered {headers.get('content-type')}, but declares {media}"


def declared_response(handler: Any, status: int) -> tuple[bool, type | None]:
    """(declared, model) of a success status, as `endpoint(status=, response=, responses=)` recorded them."""
    from local.openapi import handler_metadata

    meta = handler_metadata(handler)
    if status == meta["status"]:
        return True, meta["response"]
    return status in meta["responses"], meta["responses"].get(status)


def check_error_body(status: int, body: str | bytes | None, where: str) -> None:
    """Every error answer is the envelope of docs/openapi.json: a registered `code` with its status,
    registered rules, the `request_id`, nothing else (or API Gateway's own `{"message": ...}`)."""
    from activity_tracker.errors import ERROR_CODES, RULES

    if status < 400:
        return
    data = json.loads(body or "null")
    if status in (401, 429, 500, 503) and isinstance(data, dict) and set(data) == {"message"}:
        return
    assert isinstance(data, dict) and set(data) == {"error"}, f"{where} answered {status} without the error envelope: {str(body)[:300]}"
    error = data["error"]
    assert set(error) == {"code", "message", "details", "request_id"}, f"{where}: error keys {sorted(error)}"
    assert ERROR_CODES.get(error["code"]) == status, f"{where} answered {status} with code {error['code']!r}, not registered for it in errors.ERROR_CODES"
    for detail in error["details"]:
        assert set(detail) <= {"field", "rule", "message", "activity_id"} and {"field", "rule", "message"} <= set(detail), f"{where}: detail {detail}"
        assert detail["rule"] in RULES, f"{where} answered rule {detail['rule']!r}, which errors.RULES does not list"


def check_success_body(handler: Any, status: int, body: str | bytes | None, where: str) -> None:
    """Every 2xx answer must be one the handler declares, and a body must match the declared
    response model strictly: no unknown field, no missing required field, no coerced type."""
    from pydantic import ValidationError

    if not 200 <= status < 300:
        return
    declared, model = declared_response(handler, status)
    assert declared, f"{where} answered {status}, a success status its endpoint() does not declare"
    if not body:
        assert model is None, f"{where} answered {status} without a body, but declares {model.__name__} for it"
        return
    assert model is not None, f"{where} answered {status} with a body, but declares no response model for it: {str(body)[:300]}"
    try:
        model.model_validate_json(body, strict=True, extra="forbid")  # type: ignore[attr-defined]
    except ValidationError as error:
        raise AssertionError(f"{where} answered {status} with a body that breaks its response model {model.__name__}:\n{error}\nbody: {str(body)[:2000]}") from None


class ContractCheck:
    """`check_success_body` for calls over HTTP (e2e): routes and handlers as the runner loads them."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.handlers = Handlers(stack)

    def __call__(self, method: str, path: str, status: int, body: str | bytes | None, headers: dict[str, str] | None = None) -> None:
        from urllib.parse import urlsplit

        if headers is not None and not is_json(headers) and 200 <= status < 300:
            found = self.stack.match(method, urlsplit(path).path)
            assert found, f"{method} {path} answered {status} but template.yaml has no such route"
            check_media_type(self.handlers.get(found[1]), status, headers, f"{method} {found[0].path}")
            return
        if status >= 400:
            check_error_body(status, body, f"{method} {path}")
            return
        if not 200 <= status < 300:
            return
        found = self.stack.match(method, urlsplit(path).path)
        assert found, f"{method} {path} answered {status} but template.yaml has no such route"
        route, function, _ = found
        check_success_body(self.handlers.get(function), status, body, f"{method} {route.path}")


def conflict_transactions(monkeypatch: Any, count: int) -> list[int]:
    """Make DynamoDB cancel the next `count` TransactWriteItems with TransactionConflict on their
    second item, as it does when a concurrent request holds that item; returns the countdown."""
    from botocore.exceptions import ClientError

    from activity_tracker.repository.table import connection

    client = connection().client
    real = client._make_api_call
    left = [count]

    def conflicting(operation: str, kwargs: dict[str, Any]) -> Any:
        if operation == "TransactWriteItems" and left[0]:
            left[0] -= 1
            reasons = [{"Code": "None"}] * len(kwargs["TransactItems"])
            reasons[min(1, len(reasons) - 1)] = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
            raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}, "CancellationReasons": reasons}, operation)  # type: ignore[arg-type]
        return real(operation, kwargs)

    monkeypatch.setattr(client, "_make_api_call", conflicting)
    return left


def make_user(api: Api, org_id: str, role: str = "member", email: str | None = None) -> Person:
    """A signed-in user of `org_id` with `role` (roles live in the user record, never the token)."""
    from activity_tracker.repository import users

    who = Person.new(org_id, email=email)
    assert api.call("GET", "/api/users/me", who).status == 200
    if role != "member":
        users.update_fields(users.get(org_id, who.sub), {"role": role}, actor="tests")
    return who


def record_aws_calls(monkeypatch: Any) -> list[tuple[str, dict[str, Any], Any]]:
    """Every botocore call made from now on (until the test ends), as (operation, params, result)."""
    import botocore.client

    calls: list[tuple[str, dict[str, Any], Any]] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self: Any, operation: str, params: dict[str, Any]) -> Any:
        result = original(self, operation, params)
        calls.append((operation, params, result))
        return result

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return calls
