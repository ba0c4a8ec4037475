"""Cold start against a bare boto3 handler, and DynamoDB calls per request of the foundation routes."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.bench import BenchEnv, count_calls, table
from tests.helpers import Person

ROOT = Path(__file__).resolve().parents[2]
RUNS = 15

BARE = """
import time
t = time.perf_counter()
import boto3
boto3.client("dynamodb")
print(time.perf_counter() - t)
"""

HANDLER = """
import sys, time, importlib.util
sys.path.insert(0, {layer!r})
t = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", {module!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
imported = time.perf_counter() - t
from activity_tracker.repository.users import UserItem
UserItem._get_connection().connection.client  # the botocore client the first request creates
print(imported, time.perf_counter() - t)
"""


# The whole first request, against the local store: a bare handler's one GetItem, and ours
# answering GET /api/users/me for a known user (one GetItem too), lazy imports included.
BARE_FIRST_REQUEST = """
import os, time
t = time.perf_counter()
import boto3
boto3.client("dynamodb").get_item(TableName=os.environ["TABLE_NAME"], Key={{"pk": {{"S": {pk!r}}}, "sk": {{"S": {sk!r}}}}})
print(time.perf_counter() - t)
"""

HANDLER_FIRST_REQUEST = """
import json, sys, time, importlib.util
sys.path.insert(0, {layer!r})
event = json.loads({event!r})
t = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", {module!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
answer = module.handler(event, None)
elapsed = time.perf_counter() - t
assert answer["statusCode"] == {status}, answer
print(elapsed)
"""


def _cold(code: str, env: dict[str, str] | None = None) -> list[float]:
    env = env or {"AWS_REGION": "eu-north-1", "AWS_DEFAULT_REGION": "eu-north-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "TABLE_NAME": "t", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout.split()
    return [float(x) for x in out]


def _function_env(env: BenchEnv) -> dict[str, str]:
    """What a function sees locally: its template.yaml environment and the local store's endpoint."""
    names = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION")
    out = {name: os.environ[name] for name in names if name in os.environ}
    out.update(env.api.stack.environment())
    return {**out, "POWERTOOLS_LOG_LEVEL": "ERROR", "PATH": "/usr/bin:/bin"}


def cold_start(env: BenchEnv) -> str:
    from activity_tracker import keys
    from local.events import http_event

    layer, module = str(ROOT / "layers" / "shared"), str(ROOT / "functions" / "users_me_get" / "app.py")
    handler_code = HANDLER.format(layer=layer, module=module)
    who = Person.new(f"bench-{uuid.uuid4().hex[:8]}")
    env.api.call("GET", "/api/users/me", who)  # the user exists: the measured request is a plain read
    event = json.dumps(http_event("GET", "GET /api/users/me", "/api/users/me", "", {}, None, who.claims, None))
    key = (keys.user_pk(who.org_id, who.sub), keys.PROFILE_SK)
    bare_request = BARE_FIRST_REQUEST.format(pk=key[0], sk=key[1])
    handler_request = HANDLER_FIRST_REQUEST.format(layer=layer, module=module, event=event, status=200)
    create_module = str(ROOT / "functions" / "activities_create" / "app.py")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    creates = []
    for _ in range(RUNS):  # a user each: the measured create is a plain one, never a duplicate
        mentor = Person.new(who.org_id)
        env.api.call("GET", "/api/users/me", mentor)
        body = json.dumps({"activity_date": today, "activity_type": "home_visit", "duration_minutes": 60, "summary": "Cold start"}).encode()
        create = http_event("POST", "POST /api/activities", "/api/activities", "", {"content-type": "application/json"}, body, mentor.claims, None)
        creates.append(HANDLER_FIRST_REQUEST.format(layer=layer, module=create_module, event=json.dumps(create), status=201))
    local = _function_env(env)
    bare, imported, ready, bare_first, first, first_create = [], [], [], [], [], []
    for _ in range(RUNS):  # interleaved, so machine noise hits both alike
        bare.append(_cold(BARE)[0])
        a, b = _cold(handler_code)
        imported.append(a)
        ready.append(b)
        bare_first.append(_cold(bare_request, local)[0])
        first.append(_cold(handler_request, local)[0])
        first_create.append(_cold(creates.pop(), local)[0])
    b, i, r, bf, f, fc = (statistics.median(x) * 1000 for x in (bare, imported, ready, bare_first, first, first_create))
    return (
        "## Cold start\n\n"
        f"Median of {RUNS} fresh interpreters each, interleaved, interpreter start-up excluded. The bare handler imports boto3 and "
        "creates a DynamoDB client; ours imports `functions/users_me_get/app.py` (layer: wiring, logic and PynamoDB repository; pydantic and "
        "powertools load only when a request needs them) and then creates the botocore client its first request uses. These run in the "
        "development environment (its extra packages importable); the CPU per request section measures first requests as Lambda sees them. "
        "The last two rows are the whole first request against the local store: the bare handler's one GetItem, and ours "
        "answering `GET /api/users/me` for a known user (one GetItem too), with every lazy import it triggers; and, for scale, "
        "the first `POST /api/activities` (pydantic validation, 4 calls: GetItem, BatchGetItem, Query, TransactWriteItems).\n\n"
        + table(
            ["handler", "median ms", "ratio to bare"],
            [
                ["bare boto3 + DynamoDB client", f"{b:.0f}", "1.00"],
                ["users_me_get: import only", f"{i:.0f}", f"{i / b:.2f}"],
                ["users_me_get: import + DynamoDB client (first request ready)", f"{r:.0f}", f"{r / b:.2f}"],
                ["bare boto3: first GetItem answered", f"{bf:.0f}", "1.00"],
                ["users_me_get: first request answered", f"{f:.0f}", f"{f / bf:.2f}"],
                ["activities_create: first request answered (4 calls)", f"{fc:.0f}", f"{fc / bf:.2f}"],
            ],
        )
        + "\n\nTarget: ≤ 1.25× for import + client."
    )


def calls_per_route(env: BenchEnv) -> str:
    org = f"bench-{uuid.uuid4().hex[:8]}"
    who = Person.new(org)
    rows = []
    with count_calls() as first:
        env.api.call("GET", "/api/users/me", who)
    rows.append(["GET /api/users/me (first sign-in, new organization)", first.total, first.describe()])
    progress = {"data": {"progress_type": "sign_learned", "item_id": "hello", "score": 1}}
    cases = [
        ("GET", "/api/users/me", None),
        ("PATCH", "/api/users/me", {"name": "Bench"}),
        ("GET", "/api/organization", None),
        ("POST", "/api/user_progress", progress),
        ("GET", "/api/user_progress?progress_type=sign_learned", None),
        ("GET", "/api/user_progress?progress_type=sign_learned&item_id=hello", None),
        ("DELETE", "/api/user_progress/by-item?progress_type=sign_learned&item_id=hello", None),
    ]
    for method, path, body in cases:
        with count_calls() as counter:
            env.api.call(method, path, who, body)
        rows.append([f"{method} {path}", counter.total, counter.describe()])
    return "## DynamoDB calls per request\n\nA signed-in user; each row is one request.\n\n" + table(["request", "calls", "operations"], rows)


def run(env: BenchEnv) -> str:
    return cold_start(env) + "\n\n" + calls_per_route(env)
