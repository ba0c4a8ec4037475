"""API.md's error table on every route that takes a body, read from template.yaml and each
handler's endpoint() metadata, so routes added later are covered without editing this file."""

from __future__ import annotations

import re
import uuid

import pytest

from local.runner import Handlers
from local.template import Stack
from tests.helpers import Api, make_user

_STACK = Stack()
_HANDLERS = Handlers(_STACK)
BODY_ROUTES = sorted((route.method, route.path) for route, fn in _STACK.routes() if getattr(_HANDLERS.get(fn), "body", None) is not None)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES, ids=[f"{m} {p}" for m, p in BODY_ROUTES])
def test_every_body_route_answers_the_error_table(api: Api, org_id: str, method: str, path: str):
    admin = make_user(api, org_id, "admin")  # the widest role: answers come from validation, not access
    for raw in (b"{", b"[1]", b"null", b""):
        reply = api.call(method, _concrete(path), admin, raw=raw)
        assert (reply.status, reply.error["code"]) == (400, "invalid_json"), (raw, reply)
    reply = api.call(method, _concrete(path), admin, raw=b'{"x": "' + b"a" * (256 * 1024 + 1) + b'"}')
    assert (reply.status, reply.error["code"]) == (413, "payload_too_large")
    reply = api.call(method, _concrete(path), admin, {"zz_not_in_the_contract": 1})
    assert reply.status == 400 and "unknown_field" in reply.rules, reply


PATH_ROUTES = sorted((route.method, route.path) for route, _ in _STACK.routes() if "{" in route.path)


@pytest.mark.parametrize(("method", "path"), PATH_ROUTES, ids=[f"{m} {p}" for m, p in PATH_ROUTES])
def test_every_path_id_outside_the_safe_character_set_is_400(api: Api, org_id: str, method: str, path: str):
    """Ids go into keys joined with `#`; a path id that could address another partition (or break
    DynamoDB's key size) is refused before any read."""
    admin = make_user(api, org_id, "admin")
    for bad in ("a%23b", "%C3%A9", "x" * 129, "a;b", "a%20b"):
        reply = api.call(method, re.sub(r"\{[^}]+\}", bad, path), admin, {})
        assert (reply.status, reply.rules[:1]) == (400, ["id_format"]), (bad, reply)
