"""Cold start against a bare boto3 handler, and DynamoDB calls per request of the foundation routes."""

from __future__ import annotations

import statistics
import subprocess
import sys
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


def _cold(code: str) -> list[float]:
    env = {"AWS_REGION": "eu-north-1", "AWS_DEFAULT_REGION": "eu-north-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "TABLE_NAME": "t", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout.split()
    return [float(x) for x in out]


def cold_start() -> str:
    module = str(ROOT / "functions" / "users_me_get" / "app.py")
    handler_code = HANDLER.format(layer=str(ROOT / "layers" / "shared"), module=module)
    bare, imported, ready = [], [], []
    for _ in range(RUNS):  # interleaved, so machine noise hits both alike
        bare.append(_cold(BARE)[0])
        a, b = _cold(handler_code)
        imported.append(a)
        ready.append(b)
    b, i, r = (statistics.median(x) * 1000 for x in (bare, imported, ready))
    return (
        "## Cold start (issue 3)\n\n"
        f"Median of {RUNS} fresh interpreters each, interleaved, interpreter start-up excluded. The bare handler imports boto3 and "
        "creates a DynamoDB client; ours imports `functions/users_me_get/app.py` (layer: powertools Logger, pydantic-free wiring; "
        "models, PynamoDB and access control load on first call) and then creates the botocore client its first request uses.\n\n"
        + table(
            ["handler", "median ms", "ratio to bare"],
            [
                ["bare boto3 + DynamoDB client", f"{b:.0f}", "1.00"],
                ["users_me_get: import only", f"{i:.0f}", f"{i / b:.2f}"],
                ["users_me_get: import + DynamoDB client (first request ready)", f"{r:.0f}", f"{r / b:.2f}"],
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
    return "## DynamoDB calls per request (issue 3)\n\nA signed-in user; each row is one request.\n\n" + table(["request", "calls", "operations"], rows)


def run(env: BenchEnv) -> str:
    return cold_start() + "\n\n" + calls_per_route(env)
