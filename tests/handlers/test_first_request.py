"""A cold start pays for what the first request imports. Reads validate no body, and their queries,
when plainly valid, are read without pydantic (activity_tracker/queries.py): so their first request,
in a fresh interpreter, answers without loading pydantic (about 65 ms of CPU, docs/benchmarks.md),
nor powertools' Logger while nothing is logged (about 10 ms)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import Api, make_user

ROOT = Path(__file__).resolve().parents[2]
FIRST_REQUEST = """
import importlib.util, json, sys
sys.path.insert(0, {layer!r})
spec = importlib.util.spec_from_file_location("app", {module!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
answer = module.handler(json.loads(sys.stdin.read()), None)
print(json.dumps({{"status": answer["statusCode"], "pydantic": "pydantic" in sys.modules, "powertools": "aws_lambda_powertools" in sys.modules, "body": answer["body"][:300]}}))
"""


def _first_request(api: Api, method: str, path: str, who, body=None) -> dict:  # type: ignore[no-untyped-def]
    from urllib.parse import urlsplit

    from local.events import http_event

    url = urlsplit(path)
    route, function, params = api.stack.match(method, url.path)  # type: ignore[misc]
    event = http_event(method, route.key, url.path, url.query, {"content-type": "application/json"}, json.dumps(body).encode() if body else None, who.claims, params or None)
    code = FIRST_REQUEST.format(layer=str(ROOT / "layers" / "shared"), module=str(function.code_uri / "app.py"))
    done = subprocess.run([sys.executable, "-c", code], input=json.dumps(event), capture_output=True, text=True, env=dict(os.environ), check=True, timeout=60)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "path",
    ["/api/users/me", "/api/organization", "/api/activities?limit=25", "/api/activities?limit=25&include_deleted=true", "/api/contacts?limit=100", "/api/stats/me?year=2026", "/api/user-activities"],
)
def test_a_read_answers_its_first_request_without_pydantic(api: Api, org_id: str, path: str):
    who = make_user(api, org_id, "coordinator")
    api.call("POST", "/api/activities", who, {"activity_date": "2026-10-01", "activity_type": "meeting"})
    answer = _first_request(api, "GET", path, who)
    assert answer["status"] == 200 and not answer["pydantic"] and not answer["powertools"], answer


def test_a_query_pydantic_must_judge_still_gets_its_errors(api: Api, org_id: str):
    who = make_user(api, org_id)
    answer = _first_request(api, "GET", "/api/activities?limit=0", who)
    assert answer["status"] == 400 and answer["pydantic"] and "greater_than_equal" in answer["body"], answer


@pytest.mark.parametrize(("function", "body_model"), [("users_me_get", None), ("activities_create", "ActivityCreate")])
def test_in_lambda_the_init_phase_makes_the_client_and_the_body_model(function: str, body_model: str | None):
    """Lambda's init phase runs on a full vCPU, a request on its memory's share: what every request
    needs is made while the module loads there (AWS_LAMBDA_FUNCTION_NAME is set), and only there."""
    code = f"""
import importlib.util, json, sys
sys.path.insert(0, {str(ROOT / "layers" / "shared")!r})
spec = importlib.util.spec_from_file_location("app", {str(ROOT / "functions" / function / "app.py")!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
from activity_tracker.repository import table
model = sys.modules.get("activity_tracker.models.activity")
print(json.dumps({{"client": table._connection is not None and table._connection._client is not None,
                  "pydantic": "pydantic" in sys.modules, "built": bool(model and model.ActivityCreate.__pydantic_complete__)}}))
"""
    for in_lambda in (True, False):
        env = {**os.environ, "AWS_LAMBDA_FUNCTION_NAME": function} if in_lambda else {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_FUNCTION_NAME"}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, timeout=60)
        loaded = json.loads(done.stdout.strip().splitlines()[-1])
        assert loaded == {"client": in_lambda, "pydantic": in_lambda and body_model is not None, "built": in_lambda and body_model is not None}, (in_lambda, loaded)
