"""API.md's error table for bodies: invalid JSON, non-objects, over-long bodies. Never a 5xx."""

from __future__ import annotations

import pytest

from tests.helpers import Api, Person, make_user

WRITES = [("POST", "/api/user_progress"), ("PATCH", "/api/users/me"), ("PATCH", "/api/organization")]


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("raw", [b"{", b"[1,2]", b'"text"', b"null", b'{"a": NaN}', b"", b"\xff\xfe"])
def test_bodies_that_are_not_json_objects_are_invalid_json(api: Api, org_id: str, method: str, path: str, raw: bytes):
    who = make_user(api, org_id, "admin")
    reply = api.call(method, path, who, raw=raw)
    assert (reply.status, reply.error["code"]) == (400, "invalid_json")


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_bodies_over_256_kib_are_413(api: Api, org_id: str, method: str, path: str):
    raw = b'{"data": {"progress_type": "sign_learned", "item_id": "x", "value": "' + b"a" * (256 * 1024) + b'"}}'
    reply = api.call(method, path, Person.new(org_id), raw=raw)
    assert (reply.status, reply.error["code"]) == (413, "payload_too_large")


def test_deeply_nested_json_is_refused_not_crashed(api: Api, org_id: str):
    raw = b'{"data": {"progress_type": "sign_learned", "item_id": "x", "metadata": ' + b'{"a":' * 100000 + b"1" + b"}" * 100001 + b"}"
    reply = api.call("POST", "/api/user_progress", Person.new(org_id), raw=raw)
    assert reply.status in (400, 413)
