"""AWS failing the way it does, through `make local` with the fault proxy (local/faults.py) between
the handlers and DynamoDB Local / moto: retried writes stay single, exhausted retries answer 503
with Retry-After, never a bare 500."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from local.template import Stack
from tests.e2e.conftest import Http, running_stack
from tests.helpers import Person

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory, stack: Stack) -> Iterator[Http]:
    with running_stack(tmp_path_factory.mktemp("faulty"), stack, LOCAL_FAULTS="rate=0") as running:
        yield running


def plan(http: Http, **settings: Any) -> dict[str, Any]:
    request = urllib.request.Request(http.url + "/_local/faults", data=json.dumps(settings).encode(), method="PUT")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def visit(**extra: Any) -> dict[str, Any]:
    return {"activity_date": "2026-11-02", "activity_type": "home_visit", "duration_minutes": 30, **extra}


def test_a_transaction_applied_but_unanswered_is_retried_as_one_success(faulty: Http):
    """botocore resends a TransactWriteItems whose answer was lost; its ClientRequestToken makes
    DynamoDB answer the resend as the first, instead of failing the resend's own conditions."""
    mentor = Person.new(f"e2e-{uuid.uuid4().hex[:8]}")
    assert faulty.call("GET", "/api/users/me", mentor).status == 200
    plan(faulty, rate=1, kinds=["applied_then_reset"], operations=["TransactWriteItems"], limit=1)
    created = faulty.call("POST", "/api/activities", mentor, visit())
    report = plan(faulty, rate=0)
    assert created.status == 201, created.body
    mine = faulty.call("GET", "/api/activities", mentor).body["items"]
    assert [a["id"] for a in mine] == [created.body["id"]]
    assert report["injected"] == {"applied_then_reset": 1}, report


def test_dynamodb_failing_through_every_retry_answers_503_with_retry_after(faulty: Http):
    mentor = Person.new(f"e2e-{uuid.uuid4().hex[:8]}")
    assert faulty.call("GET", "/api/users/me", mentor).status == 200
    for kinds in (["throttle"], ["internal"], ["reset"]):
        plan(faulty, rate=1, kinds=kinds)
        reply = faulty.call("GET", "/api/activities", mentor)
        assert reply.status == 503, (kinds, reply)
        assert reply.error["code"] == "service_unavailable" and reply.headers.get("retry-after") == "1"
    plan(faulty, rate=1, kinds=["conflict"], operations=["TransactWriteItems"])
    conflicted = faulty.call("POST", "/api/activities", mentor, visit(local_id=f"l-{uuid.uuid4().hex}"))
    plan(faulty, rate=0)
    assert conflicted.status == 503 and conflicted.headers.get("retry-after"), conflicted
    assert faulty.call("GET", "/api/activities", mentor).body["items"] == [], "nothing acknowledged, nothing stored"


def test_a_client_retrying_after_503_stores_its_activity_once(faulty: Http):
    mentor = Person.new(f"e2e-{uuid.uuid4().hex[:8]}")
    assert faulty.call("GET", "/api/users/me", mentor).status == 200
    local_id = f"l-{uuid.uuid4().hex}"
    plan(faulty, rate=1, kinds=["applied_then_reset"], operations=["TransactWriteItems"])  # applied, never answered
    first = faulty.call("POST", "/api/activities", mentor, visit(local_id=local_id))
    plan(faulty, rate=0)
    assert first.status == 503, first
    again = faulty.call("POST", "/api/activities", mentor, visit(local_id=local_id))
    assert again.status in (200, 201), again
    assert [a["local_id"] for a in faulty.call("GET", "/api/activities", mentor).body["items"]] == [local_id]


@pytest.mark.parametrize("operation", ["UpdateItem", "PUT"])  # the claim; the file (S3: by HTTP method)
def test_an_export_whose_write_was_applied_but_unanswered_still_ends_done(faulty: Http, operation: str):
    """The worker's claim (UpdateItem) or its file (S3 PUT) applied, the answer lost, botocore's
    resend refused by the claim's own condition: the export must not stay `running`."""
    from tests.e2e.conftest import ADMIN_EMAIL
    from tests.e2e.test_stats_over_http import wait_for

    admin = Person.new(f"e2e-{uuid.uuid4().hex[:8]}", email=ADMIN_EMAIL)
    visit_id = faulty.call("POST", "/api/activities", admin, visit()).body["id"]
    mentor = Person.new(admin.org_id)
    faulty.call("GET", "/api/users/me", mentor)
    assert faulty.call("POST", f"/api/activities/{visit_id}/review", mentor, {"action": "approve"}).status in (200, 403)
    plan(faulty, rate=1, kinds=["applied_then_reset"], operations=[operation], limit=1)
    queued = faulty.call("POST", "/api/exports/bufdir", admin, {"period_start": "2026-11-01", "period_end": "2026-11-30"})
    assert queued.status == 202, queued
    finished = wait_for(lambda: (lambda body: body if body["status"] in ("done", "failed") else None)(faulty.call("GET", f"/api/exports/{queued.body['id']}", admin).body), 30)
    report = plan(faulty, rate=0)
    assert report["injected"] == {"applied_then_reset": 1}, report
    assert finished and finished["status"] == "done", finished
