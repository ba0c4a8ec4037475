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


@pytest.mark.parametrize("raw", [rb'{"name": "\ud800"}', rb'{"name": "a\udfffb"}', rb'{"data": {"progress_type": "sign_learned", "item_id": "x", "metadata": {"\ud83d": 1}}}', rb'{"data": {"progress_type": "sign_learned", "item_id": "x", "value": "\ude00\ud83d"}}'])
def test_escaped_lone_surrogates_are_invalid_json(api: Api, org_id: str, raw: bytes):
    """JSON's grammar lets `\\ud800` through, but it is no Unicode text: it can be neither stored as
    UTF-8 nor answered as valid JSON."""
    for method, path in [("PATCH", "/api/users/me"), ("POST", "/api/user_progress")]:
        reply = api.call(method, path, Person.new(org_id), raw=raw)
        assert (reply.status, reply.error["code"]) == (400, "invalid_json"), (path, raw)


def test_escaped_surrogate_pairs_and_escaped_backslashes_are_text(api: Api, org_id: str):
    who = Person.new(org_id)
    assert api.call("PATCH", "/api/users/me", who, raw=rb'{"name": "\ud83d\ude00 \\ud800"}').body["name"] == "\U0001f600 \\ud800"


def test_deeply_nested_json_is_refused_not_crashed(api: Api, org_id: str):
    raw = b'{"data": {"progress_type": "sign_learned", "item_id": "x", "metadata": ' + b'{"a":' * 100000 + b"1" + b"}" * 100001 + b"}"
    reply = api.call("POST", "/api/user_progress", Person.new(org_id), raw=raw)
    assert reply.status in (400, 413)
