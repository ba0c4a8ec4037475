"""A bounded schemathesis run inside `make test` (the long one is `make fuzz`): every operation of
docs/openapi.json, over HTTP against the local runner, as an admin and as a member. For any
generated input, valid or not: no 5xx, a documented status code, and a body that conforms to the
documented schema (the shared Error schema for 4xx)."""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from local.fuzz import unique_idempotency_key
from local.jwt_local import mint
from local.openapi import OPENAPI_FILE
from tests.e2e.conftest import ADMIN_EMAIL, Http

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES_IN_TESTS", "5"))
# Wall-clock budget for the whole bounded run: on a loaded machine later operations get fewer
# examples rather than making `make test` slow (`make fuzz` has no such budget).
BUDGET_SECONDS = float(os.environ.get("FUZZ_BUDGET_SECONDS_IN_TESTS", "30"))
_STARTED: list[float] = []
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ORG = f"fuzz-{uuid.uuid4().hex[:8]}"
TOKENS = {
    "admin": mint(str(uuid.uuid4()), ADMIN_EMAIL, ORG),
    "member": mint(str(uuid.uuid4()), f"member-{uuid.uuid4().hex[:6]}@tests.example", ORG),
}


schema = schemathesis.openapi.from_dict(json.loads(OPENAPI_FILE.read_text(encoding="utf-8")))


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
def test_no_input_answers_5xx_or_breaks_the_contract(case, http: Http):
    _STARTED or _STARTED.append(time.monotonic())
    if time.monotonic() - _STARTED[0] > BUDGET_SECONDS:
        return
    for token in TOKENS.values():  # the same input as an admin (reaches the logic) and as a member
        unique_idempotency_key(case.headers)  # a key names one request (local/fuzz_hooks.py)
        case.call_and_validate(base_url=http.url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, timeout=30)
