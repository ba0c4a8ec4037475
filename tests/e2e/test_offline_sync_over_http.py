"""Offline-first clients over HTTP: retried POSTs, pull and push (what a phone on a bad network does)."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import Http
from tests.helpers import Person

pytestmark = pytest.mark.e2e


def test_a_post_retried_with_its_idempotency_key_is_done_once(http: Http):
    mentor = Person.new(f"e2e-{uuid.uuid4().hex[:8]}")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = http.call("POST", "/api/contacts", mentor, {"name": "Kari"}, headers=key)
    again = http.call("POST", "/api/contacts", mentor, {"name": "Kari"}, headers=key)
    assert first.status == again.status == 201 and again.body == first.body and again.headers["idempotent-replayed"] == "true"
    assert http.call("POST", "/api/contacts", mentor, {"name": "Ola"}, headers=key).error["code"] == "idempotency_key_reused"
    assert [c["name"] for c in http.call("GET", "/api/contacts", mentor).body["items"]] == ["Kari"]
