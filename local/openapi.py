"""`make openapi`: docs/openapi.json (OpenAPI 3.1) generated from the code, never written by hand.

Routes come from template.yaml (the only list of routes); each route's handler is loaded the way
the local runner loads it, and the metadata that `endpoint()` attaches to it gives the rest:
`status` (success status), `body` and `query` (pydantic request models), `response` (model of
the success body) and `responses` (other success statuses: their models, None for 204). Every
operation documents the error table of API.md with one shared `Error` schema. The output is
deterministic (sorted keys, sorted operations) so that `tests/unit/test_openapi_contract.py` can
compare it with the committed file.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.template import ROOT, Function, Route, Stack

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic.json_schema import JsonSchemaMode

OPENAPI_FILE = ROOT / "docs" / "openapi.json"
REF = "#/components/schemas/{model}"
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})

# API.md's error table: every route may answer these (409 too: a first sign-in that keeps losing
# races with concurrent ones answers 409 on any route; 404 for an id of another organization or an
# unknown route). 401, 429, 500 and 503 may come from API Gateway itself, with its own body
# (`{"message": "Unauthorized"}`, `{"message": "Too Many Requests"}`, `{"message": "Internal Server Error"}`,
# `{"message": "Service Unavailable"}`): HTTP APIs cannot reshape those (no gateway responses).
ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "`validation_error` (details name the rules) or `invalid_json`."),
    401: ("Unauthorized", "From API Gateway's JWT authorizer, `{\"message\": \"Unauthorized\"}`: no, expired or badly signed token; from the API, `unauthorized`: a token without the claims it needs."),
    403: ("Forbidden", "`forbidden`: the caller's role or ownership does not allow it, or the user is deactivated."),
    404: ("NotFound", "`not_found`: no such item in the caller's organization."),
    409: ("Conflict", "`conflict`, `duplicate_activity`, `version_conflict`, `class_full` or `invalid_transition`."),
    413: ("PayloadTooLarge", "`payload_too_large`: body over 256 KiB, or more items than a batch allows."),
    429: ("RateLimited", "`rate_limited`: a quota or throttle (e.g. one pending export per organization, a daily export quota); the `Retry-After` header says in how many seconds to try again. API Gateway's own throttle answers `{\"message\": \"Too Many Requests\"}`."),
    500: ("InternalError", "`internal_error`: a bug on our side, logged with the `request_id`. API Gateway answers `{\"message\": \"Internal Server Error\"}` when the function itself fails."),
    503: ("ServiceUnavailable", "`service_unavailable`: AWS stayed throttled or unreachable through every retry; nothing was written, send the same request again after `Retry-After` seconds. API Gateway answers `{\"message\": \"Service Unavailable\"}` when the function cannot be reached."),
}
# every POST takes an Idempotency-Key (activity_tracker/idempotency.py)
IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any 1..255 printable ASCII characters naming this request (a UUID). Sent again with the same request within 24 hours, the first 2xx answer is replayed (header `Idempotent-Replayed: true`) without doing the work again; with another method, path, query or body: 422 `idempotency_key_reused`; while the first is still running: 409 `conflict` with `Retry-After`. Scoped to the caller (organization + user).",
    # printable ASCII (what idempotency.py accepts), without the leading or trailing spaces HTTP drops from a header value
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]([ -~]*[!-~])?$"},
}
IDEMPOTENCY_KEY_REUSED = {"description": "`idempotency_key_reused`: this Idempotency-Key was sent with another request.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
# the changes of every mutable resource may carry If-Match with the ETag its GET or last change answered (activity_tracker.conditional)
IF_MATCH_ROUTES = {
    ("PATCH", "/api/activities/{id}"), ("DELETE", "/api/activities/{id}"), ("PATCH", "/api/contacts/{id}"), ("DELETE", "/api/contacts/{id}"),
    ("PATCH", "/api/users/me"), ("PATCH", "/api/users/{id}"), ("PATCH", "/api/organization"),
    ("POST", "/api/classes/{id}/confirm"), ("POST", "/api/classes/{id}/cancel"), ("POST", "/api/classes/{id}/join"),
    ("POST", "/api/classes/{id}/tasks"), ("POST", "/api/classes/{id}/complete"),
}  # fmt: skip
IF_MATCH_PARAMETER: dict[str, Any] = {
    "name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
    "description": "The `ETag` (`\"v<version>\"`) a GET or PATCH answered; another one answers 412 `precondition_failed`.",
}  # fmt: skip
PRECONDITION_FAILED = {"description": "`precondition_failed`: If-Match does not name the current ETag.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
# the statuses whose body may be API Gateway's own `{"message": ...}` instead of our envelope
GATEWAY_STATUSES = frozenset({401, 429, 500, 503})
RETRY_AFTER_STATUSES = frozenset({429, 503})


def error_schemas() -> dict[str, Any]:
    from activity_tracker.errors import ERROR_CODES, RULES

    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "additionalProperties": False,
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "details", "request_id"],
                    "additionalProperties": False,
                    "properties": {
                        "code": {"type": "string", "enum": sorted(ERROR_CODES)},
                        "message": {"type": "string", "description": "For people; may change. Code against `code` and `details[].rule`."},
                        "details": {"type": "array", "items": {"$ref": REF.format(model="ErrorDetail")}},
                        "request_id": {"type": "string", "description": "API Gateway's request id (`requestContext.requestId`, also the `apigw-requestid` header): quote it to support."},
                    },
                }
            },
        },
        "ErrorDetail": {
            "type": "object",
            "required": ["field", "rule", "message"],
            "additionalProperties": False,
            "properties": {
                "field": {"type": "string", "description": "The field, dotted (`items.3.activity_date`, `query.limit`, `path.id`), or `body`."},
                "rule": {"type": "string", "enum": sorted(RULES)},
                "message": {"type": "string"},
                "activity_id": {"type": "string", "description": "With rule `duplicate_activity`: the activity this one duplicates."},
            },
        },
        "GatewayError": {
            "type": "object",
            "required": ["message"],
            "additionalProperties": False,
            "description": "A body of API Gateway itself, e.g. `{\"message\": \"Unauthorized\"}`.",
            "properties": {"message": {"type": "string"}},
        },
    }


def operation_id(function: Function) -> str:
    return function.logical_id.removesuffix("Function")


def handler_metadata(handler: Any) -> dict[str, Any]:
    """What `endpoint()` recorded on a handler (defaults for a handler that is not an endpoint)."""
    return {
        "status": getattr(handler, "status", 200),
        "body": getattr(handler, "body", None),
        "query": getattr(handler, "query", None),
        "response": getattr(handler, "response", None),
        "responses": dict(getattr(handler, "responses", None) or {}),
        "summary": _summary(getattr(handler, "action", None)),
        "media_types": dict(getattr(handler, "media_types", None) or {}),
    }


def _summary(action: Any) -> str | None:
    doc = (getattr(action, "__doc__", None) or "").strip()
    return doc.splitlines()[0].strip() if doc else None


def _models_schemas(models: Sequence[tuple[type[BaseModel], JsonSchemaMode]]) -> tuple[dict[Any, Any], dict[str, Any]]:
    from pydantic.json_schema import models_json_schema

    if not models:
        return {}, {}
    refs, top = models_json_schema(models, ref_template=REF)
    return refs, _named_inline_models(_without_defaults(top.get("$defs", {}), names=True))


def _named_inline_models(schemas: dict[str, Any]) -> dict[str, Any]:
    """pydantic writes a model out in full, not as a `$ref`, where a field skips its validation
    (`SyncRequest.items`, `BulkRequest.activity`: validated item by item by the logic). Generators
    then make an anonymous type of it (`SyncRequestItemsItem`) that code holding an `ActivityCreate`
    cannot pass: every inline model becomes the named component of its title."""
    found: dict[str, Any] = {}

    def walk(node: Any, top: bool = False) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        if not top and node.get("type") == "object" and isinstance(node.get("properties"), dict) and isinstance(node.get("title"), str):
            name, schema = node["title"], walk(node, top=True)
            if found.setdefault(name, schema) != schema:
                raise ValueError(f"two different inline models are named {name}")
            return {"$ref": REF.format(model=name)}
        return {key: walk(value) for key, value in node.items()}

    out = {name: walk(schema, top=True) for name, schema in schemas.items()}
    for name, schema in found.items():
        if out.setdefault(name, schema) != schema:
            raise ValueError(f"an inline model differs from the component {name}")
    return out


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query value is a string or absent, never JSON null: drop `null` from `anyOf`."""
    options = schema.get("anyOf")
    if not options:
        return schema
    rest = [option for option in options if option.get("type") != "null"]
    out = {k: v for k, v in schema.items() if k != "anyOf"}
    if len(rest) == 1:
        out.update(rest[0])
    else:
        out["anyOf"] = rest
    return out


def _without_defaults(schema: Any, names: bool = False) -> Any:
    """The schema with no `default` anywhere: the server applies its defaults, a client sends a
    field or leaves it out. Generators make a field with a default required (openapi-typescript's
    default `defaultNonNullable`), and a `default: null` on a field that refuses null is wrong;
    a default other than null stays in the description."""
    if isinstance(schema, list):
        return [_without_defaults(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if names:  # `properties` or `$defs`: the keys are names, the values schemas
        return {key: _without_defaults(value) for key, value in schema.items()}
    out = {key: _without_defaults(value, names=key in ("properties", "$defs")) for key, value in schema.items() if key != "default"}
    if schema.get("default") is not None and isinstance(schema.get("type") or schema.get("anyOf") or schema.get("$ref") or schema.get("enum"), (str, list)):
        default = json.dumps(schema["default"], ensure_ascii=False)
        out["description"] = f"{schema['description'].rstrip('.')}. Default: {default}." if schema.get("description") else f"Default: {default}."
    return out


def _query_parameters(model: type) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)  # type: ignore[attr-defined]
    required = set(schema.get("required", []))
    params = []
    for name, prop in sorted(schema.get("properties", {}).items()):
        prop = _without_null(dict(prop))
        prop = _without_defaults(prop)
        schema_ = {k: v for k, v in prop.items() if k not in ("title", "description")}
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": schema_}
        if prop.get("description"):
            param["description"] = prop["description"]
        params.append(param)
    return params


def _path_parameters(route: Route) -> list[dict[str, Any]]:
    """Path ids are of the safe character set (API.md); anything else answers 400 `id_format`."""
    from activity_tracker.keys import SAFE_ID, SAFE_ID_MAX_BYTES

    schema = {"type": "string", "pattern": f"^{SAFE_ID.pattern}$", "minLength": 1, "maxLength": SAFE_ID_MAX_BYTES}
    return [{"name": name, "in": "path", "required": True, "schema": schema} for name in re.findall(r"\{([A-Za-z0-9_]+)\+?\}", route.path)]


def sample_body(function: Function, model: type | None) -> Any:
    """The `body` of events/<Function>.json as an example, when it is a valid request."""
    path = ROOT / "events" / f"{function.logical_id}.json"
    if model is None or not path.exists():
        return None
    try:
        body = json.loads(json.loads(path.read_text()).get("body") or "null")
        if not body:
            return None
        model.model_validate(body)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - an invalid or stale sample is simply not used as an example
        return None
    return body


def _content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def generate(stack: Stack | None = None) -> dict[str, Any]:
    """The OpenAPI document of every HTTP route in template.yaml."""
    from local.runner import Handlers

    stack = stack or Stack()
    handlers = Handlers(stack)
    routes = sorted(((route, fn) for route, fn in stack.routes()), key=lambda pair: (pair[0].path, pair[0].method))
    metadata = {fn.logical_id: handler_metadata(handlers.get(fn)) for _, fn in routes}

    wanted: set[tuple[type[BaseModel], JsonSchemaMode]] = set()
    for meta in metadata.values():
        if meta["body"] is not None:
            wanted.add((meta["body"], "validation"))
        for model in [meta["response"], *meta["responses"].values()]:
            if model is not None:
                wanted.add((model, "serialization"))
    ordered = sorted(wanted, key=lambda pair: (pair[0].__module__, pair[0].__qualname__, pair[1]))
    refs, schemas = _models_schemas(ordered)
    shared = error_schemas()
    if clash := schemas.keys() & shared.keys():
        raise ValueError(f"models named like the shared error schemas: {sorted(clash)}")

    paths: dict[str, dict[str, Any]] = {}
    for route, function in routes:
        meta = metadata[function.logical_id]
        op: dict[str, Any] = {"operationId": operation_id(function), "tags": [route.path.split("/")[2] if route.path.count("/") >= 2 else "api"]}
        if meta["summary"]:
            op["summary"] = meta["summary"]
        params = _path_parameters(route) + (_query_parameters(meta["query"]) if meta["query"] is not None else [])
        if route.method == "POST":
            params.append(IDEMPOTENCY_KEY_PARAMETER)
        if (route.method, route.path) in IF_MATCH_ROUTES:
            params.append(IF_MATCH_PARAMETER)
        if params:
            op["parameters"] = params
        if route.public:
            op["security"] = []  # no authorizer on the route (template.yaml `Auth: {Authorizer: NONE}`)
        if "request" in meta["media_types"]:
            op["requestBody"] = {"required": True, "content": {meta["media_types"]["request"]: {"schema": {"type": "string", "format": "binary"}}}}
        elif meta["body"] is not None:
            body: dict[str, Any] = {"required": True, "content": _content(refs[(meta["body"], "validation")])}
            example = sample_body(function, meta["body"])
            if example is not None:
                body["content"]["application/json"]["example"] = example
            op["requestBody"] = body
        elif route.method in METHODS_WITH_BODY:
            op["requestBody"] = {"required": False, "content": _content({"type": "object"})}
        success = {meta["status"]: meta["response"], **meta["responses"]}
        responses: dict[str, Any] = {}
        for status, model in success.items():
            if status == 204:
                responses[str(status)] = {"description": "Done; no body."}
            elif "response" in meta["media_types"]:
                responses[str(status)] = {"description": "Success.", "content": {meta["media_types"]["response"]: {"schema": {"type": "string"}}}}
            elif model is None:
                raise ValueError(f"{function.logical_id} answers {status} with a body but declares no response model: endpoint(response=...) or responses={{{status}: Model}}")
            else:
                responses[str(status)] = {"description": "Success.", "content": _content(refs[(model, "serialization")])}
        for status, (name, _) in ERRORS.items():
            responses[str(status)] = {"$ref": f"#/components/responses/{name}"}
        if route.method == "POST":
            responses["422"] = IDEMPOTENCY_KEY_REUSED
        if (route.method, route.path) in IF_MATCH_ROUTES:
            responses["412"] = PRECONDITION_FAILED
        op["responses"] = responses
        paths.setdefault(route.path, {})[route.method.lower()] = op

    _add_links(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "activity-tracker",
            "version": _version(),
            "description": "Generated from template.yaml and the handlers' endpoint() metadata by `make openapi`; do not edit. The prose contract is API.md.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "Cognito ID token (claims sub, email, custom:org_id, custom:campus_id)."}},
            "schemas": {**schemas, **shared},
            "responses": {name: _error_response(status, text) for status, (name, text) in ERRORS.items()},
        },
    }


def _error_response(status: int, text: str) -> dict[str, Any]:
    ours = {"$ref": REF.format(model="Error")}
    schema = {"oneOf": [ours, {"$ref": REF.format(model="GatewayError")}]} if status in GATEWAY_STATUSES else ours
    response: dict[str, Any] = {"description": text, "content": _content(schema)}
    if status in RETRY_AFTER_STATUSES:
        response["headers"] = {"Retry-After": {"description": "Seconds to wait before trying again (our answers; API Gateway's own may lack it).", "schema": {"type": "integer", "minimum": 1}}}
    return response


def _add_links(paths: dict[str, dict[str, Any]]) -> None:
    """OpenAPI links from `POST /x` (which answers an `id`) to the operations on `/x/{id}...`, so
    that stateful fuzzing (schemathesis) reaches items that exist instead of only random ids."""
    for path, operations in paths.items():
        create = operations.get("post")
        if not create:
            continue
        targets = []
        for other, other_ops in paths.items():
            match = re.fullmatch(re.escape(path) + r"/\{([A-Za-z0-9_]+)\}(/[^{}]*)?", other)
            if match:
                targets += [(match.group(1), op) for op in other_ops.values()]
        if not targets:
            continue
        status = next((code for code in create["responses"] if code.startswith("2") and code != "204"), None)
        if status is None or "$ref" in create["responses"][status]:
            continue
        create["responses"][status]["links"] = {
            op["operationId"]: {"operationId": op["operationId"], "parameters": {name: "$response.body#/id"}} for name, op in sorted(targets, key=lambda t: t[1]["operationId"])
        }


def _version() -> str:
    match = re.search(r'^version\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    return match.group(1) if match else "0.0.0"


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(path: Path | None = None) -> Path:
    path = path or OPENAPI_FILE
    path.write_text(render(generate()), encoding="utf-8")
    return path


def check(path: Path | None = None) -> bool:
    path = path or OPENAPI_FILE
    return path.exists() and path.read_text(encoding="utf-8") == render(generate())


def main(check_only: bool = False) -> int:
    if check_only:
        if check():
            return 0
        print(f"{OPENAPI_FILE} differs from the code: run `make openapi` and commit it.", file=sys.stderr)
        return 1
    print(write())
    return 0
