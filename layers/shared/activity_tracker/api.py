"""Request wiring shared by every HTTP handler.

A handler module is two lines: `handler = endpoint(logic_function)`. `endpoint` turns an API Gateway
HTTP API (payload v2) event into a `Request`, resolves the caller (creating the user on first
sign-in), runs the logic, and maps results and domain errors to responses in one place.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from activity_tracker.errors import DomainError, InvalidJson, PayloadTooLarge, ServiceUnavailable, Unauthorized, ValidationFailed, is_transient
from activity_tracker.keys import SAFE_ID_RULE, is_safe_id
from activity_tracker.queries import fast_params
from activity_tracker.settings import get_settings


class LazyLogger:
    """Stands for the powertools Logger (JSON lines with `correlation_id`, docs/operations.md) and
    imports it when a line is first logged: a request that logs nothing does not load powertools
    (about 10 ms of CPU on a cold start). The correlation id set before is applied then."""

    def __init__(self, service: str):
        self._service = service
        self._logger: Any = None
        self._correlation_id: str | None = None

    def set_correlation_id(self, value: str | None) -> None:
        self._correlation_id = value
        if self._logger is not None:
            self._logger.set_correlation_id(value)

    def __getattr__(self, name: str) -> Any:
        if self._logger is None:
            from aws_lambda_powertools import Logger

            self._logger = Logger(service=self._service)
            self._logger.set_correlation_id(self._correlation_id)
        return getattr(self._logger, name)


logger = LazyLogger(os.environ.get("POWERTOOLS_SERVICE_NAME", "activity-tracker"))


@dataclass(frozen=True)
class Caller:
    """Who calls, from the verified JWT claims. Roles are never taken from the token."""

    user_id: str
    email: str  # lower-case, and only when `email_verified` is true; "" otherwise
    org_id: str
    campus_id: str | None


PUBLIC_CALLER = Caller(user_id="", email="", org_id="", campus_id=None)  # the caller of a public route: nobody in particular


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    event: dict[str, Any]
    caller: Caller
    query: dict[str, str]
    path: dict[str, str]
    body: Any = None  # the validated body model, when the endpoint declares one
    params: Any = None  # the validated query model, when the endpoint declares one

    def json(self) -> Any:
        """The body as JSON: 413 over the size limit, 400 invalid_json when not a JSON object."""
        raw = self.event.get("body")
        if raw is None or raw == "":
            raise InvalidJson("The body must be a JSON object.")
        try:
            data = base64.b64decode(raw) if self.event.get("isBase64Encoded") else raw.encode("utf-8")
        except ValueError:
            raise InvalidJson("The body is not valid base64.") from None
        try:
            value = json.loads(data, parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise InvalidJson("The body is not valid JSON.") from None
        if not isinstance(value, dict):
            raise InvalidJson("The body must be a JSON object.")
        if b"\\u" in data and _holds_lone_surrogate(value):
            raise InvalidJson("The body holds an escaped lone surrogate (\\ud800 .. \\udfff), which is no Unicode text.")
        return value


def _holds_lone_surrogate(value: Any) -> bool:
    """Whether a parsed body holds a string that is not valid Unicode: JSON lets `"\\ud800"` through,
    and such a string can neither be stored as UTF-8 nor answered as valid JSON."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def check_body_size(event: dict[str, Any]) -> None:
    """413 before any work when the body is over the limit (base64 inflates by 4/3)."""
    raw = event.get("body") or ""
    size = len(raw) * 3 // 4 if event.get("isBase64Encoded") else len(raw.encode("utf-8"))
    if size > get_settings().max_body_bytes:
        raise PayloadTooLarge("The body is over 256 KiB.")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


MAX_EMAIL_BYTES = 254  # RFC 5321's limit for an address; it goes into the email guard's key


def caller_from_event(event: dict[str, Any]) -> Caller:
    """The caller from the claims. `sub`, `custom:org_id` and `custom:campus_id` go into keys joined
    with `#`: one outside the safe character set could address another partition, so it is 401."""
    context = event.get("requestContext") or {}
    claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    user_id, org_id, campus_id = claims.get("sub"), claims.get("custom:org_id"), claims.get("custom:campus_id") or None
    if not user_id or not org_id:
        raise Unauthorized("The token lacks the sub or custom:org_id claim.")
    if not is_safe_id(user_id) or not is_safe_id(org_id) or (campus_id is not None and not is_safe_id(campus_id)):
        raise Unauthorized(f"The token's sub, custom:org_id and custom:campus_id must be {SAFE_ID_RULE} characters.")
    # API Gateway passes every claim as a string ("true"); a decoded token has the boolean
    verified = claims.get("email_verified") in (True, "true")
    email = str(claims.get("email") or "").strip().lower()
    return Caller(user_id=user_id, email=email if verified and len(email.encode()) <= MAX_EMAIL_BYTES else "", org_id=org_id, campus_id=campus_id)


def check_path(path: dict[str, str]) -> None:
    """400 for a path id that could not be one of ours: ids go into keys joined with `#`."""
    bad = [name for name, value in path.items() if not is_safe_id(value)]
    if bad:
        message = f"must be {SAFE_ID_RULE} characters"
        raise ValidationFailed("The path names no valid id.", [{"field": f"path.{name}", "rule": "id_format", "message": message} for name in bad])


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def http_response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A JSON answer; a `str` body is sent as it is, with the content-type its headers name (a calendar)."""
    out: dict[str, Any] = {"statusCode": status, "headers": {"content-type": "application/json", **(headers or {})}}
    out["body"] = "" if body is None else body if isinstance(body, str) else json.dumps(body, default=_json_default, separators=(",", ":"))
    return out


INTERNAL_ERROR = {"error": {"code": "internal_error", "message": "Something went wrong on our side.", "details": []}}


def error_response(status: int, body: dict[str, Any], headers: dict[str, str], request_id: str) -> dict[str, Any]:
    """Every error the handlers answer: the envelope plus the API Gateway request id (the
    `apigw-requestid` header of the same answer), which support finds in the logs."""
    return http_response(status, {"error": {**body["error"], "request_id": request_id}}, headers)


Action = Callable[[Request, Any], Any]
ModelRef = type | str  # a pydantic model, or "module:Name" of one in activity_tracker.models, imported when first needed


def model_of(ref: ModelRef | None) -> Any:
    """The model a reference names: "user:UserOut" is `activity_tracker.models.user.UserOut`, imported
    on first use, so a handler module loads no pydantic model (nor pydantic) until a request needs one."""
    if ref is None or isinstance(ref, type):
        return ref
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(f"activity_tracker.models.{module}"), name)


def validated(ref: ModelRef, data: Any, prefix: str = "") -> Any:
    """`data` validated by the model `ref` names (pydantic: loaded with the first request that needs it)."""
    from activity_tracker.models.base import parse

    return parse(model_of(ref), data, prefix=prefix)


class Endpoint:
    """A Lambda handler (called as `handler(event, context)`) with what `endpoint()` declared about
    it, its models resolved when first asked for (the OpenAPI generator and the tests ask)."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], dict[str, Any]], action: Action, status: int, refs: dict[str, Any], *, public: bool = False, media_types: dict[str, str] | None = None):
        self._handler, self.action, self.status, self.refs = handler, action, status, refs  # refs: as declared
        self.public = public  # no authorizer: anyone may call it (template.yaml says `Authorizer: NONE` on its route)
        self.media_types = media_types or {}  # "request" / "response": what it takes and answers instead of JSON

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return self._handler(event, context)

    @property
    def body(self) -> Any:
        return model_of(self.refs["body"])

    @property
    def query(self) -> Any:
        return model_of(self.refs["query"])

    @property
    def response(self) -> Any:
        return model_of(self.refs["response"])

    @property
    def responses(self) -> dict[int, Any]:
        return {code: model_of(ref) for code, ref in self.refs["responses"].items()}


def endpoint(
    action: Action,
    *,
    status: int = 200,
    body: ModelRef | None = None,
    query: ModelRef | None = None,
    response: ModelRef | None = None,
    responses: dict[int, ModelRef | None] | None = None,
    public: bool = False,
    media_types: dict[str, str] | None = None,
) -> Endpoint:
    """Wrap a logic function `action(request, user)` as a Lambda handler answering `status`.

    `body` and `query` name the pydantic models of the request; the wiring validates them before
    the action runs (as `request.body` and `request.params`). The OpenAPI generator
    (`make openapi`) reads them, plus the `response` model of the `status` answer and `responses`:
    other success statuses the action answers through `Response(...)` (model, or None for a 204,
    e.g. `{200: ActivityCreated}` for an idempotent create). Every success answer with a body needs
    its model: the tests validate each one against it. Neither changes behaviour. Models are named
    as "module:Name" (see `model_of`): a route without a body or query model never imports pydantic.

    `public`: a route without an authorizer (its template.yaml event says `Auth: {Authorizer: NONE}`):
    no caller is resolved and no user is created; the action gets `PUBLIC_CALLER` and user None, and
    must itself decide who may read what (the calendar feed: a secret token in the path).
    `media_types`: {"request": ..., "response": ...} for a body or answer that is not JSON (OpenAPI).
    """

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        request_id = str((event.get("requestContext") or {}).get("requestId") or "")
        logger.set_correlation_id(request_id or None)
        from activity_tracker.idempotency import IdempotentRequest

        idempotent = IdempotentRequest.of(event)  # a POST with an Idempotency-Key (idempotency.py)
        answer = _answer(event, idempotent, request_id)
        if idempotent is not None:
            idempotent.settle(answer)
        return answer

    def _answer(event: dict[str, Any], idempotent: Any, request_id: str) -> dict[str, Any]:
        try:
            caller = PUBLIC_CALLER if public else caller_from_event(event)
            check_body_size(event)
            request = Request(
                event=event,
                caller=caller,
                query=dict(event.get("queryStringParameters") or {}),
                path=dict(event.get("pathParameters") or {}),
            )
            check_path(request.path)
            from activity_tracker import access  # imported on first call, after the module is loaded

            user = None if public else access.current_user(caller)
            if idempotent is not None and (replay := idempotent.claim(caller)) is not None:
                return replay  # type: ignore[no-any-return]
            if query is not None:
                request.params = fast_params(query, request.query) or validated(query, request.query, prefix="query.")
            if body is not None:
                request.body = validated(body, request.json())
            result = action(request, user)
            if isinstance(result, Response):
                return http_response(result.status, result.body, result.headers)
            return http_response(status, result)
        except DomainError as error:
            return error_response(error.status, error.body(), error.headers, request_id)
        except Exception as error:
            if is_transient(error):  # throttled, failing or unreachable after botocore's retries
                logger.warning("transient AWS failure", exc_info=True)
                unavailable = ServiceUnavailable()
                return error_response(unavailable.status, unavailable.body(), unavailable.headers, request_id)
            logger.exception("unhandled error")
            return error_response(500, INTERNAL_ERROR, {}, request_id)

    if body is not None and os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        # every request of this route validates its body: in Lambda, load and build the model while the
        # module loads (the init phase runs on a full vCPU, a request only on its memory's share)
        model_of(body).model_rebuild()
    # read by the OpenAPI generator (local/openapi.py) and the tests
    return Endpoint(handler, action, status, {"body": body, "query": query, "response": response, "responses": dict(responses or {})}, public=public, media_types=media_types)
