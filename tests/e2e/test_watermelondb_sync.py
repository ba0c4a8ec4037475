"""The real client: WatermelonDB's synchronize() with its LokiJS adapter (Node) against the stack over HTTP.

tests/watermelon/sync_roundtrip.js plays a device: records born on the server and on the device,
edits and deletions on both sides, each reaching the other. tests/watermelon/sync_team.js plays two
devices of one mentor and a coordinator working in turns, a conflict, and replays, ending with the
same data everywhere. `make test` installs their packages (`npm ci` in tests/watermelon, pinned by
package-lock.json).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from local.jwt_local import mint
from tests.e2e.conftest import ADMIN_EMAIL, Http
from tests.helpers import Person

pytestmark = pytest.mark.e2e

CLIENT = Path(__file__).resolve().parents[1] / "watermelon"


def _node() -> str:
    node = shutil.which("node")
    if node is None or not (CLIENT / "node_modules" / "@nozbe" / "watermelondb").is_dir():
        if os.environ.get("CI"):
            pytest.fail("node and tests/watermelon/node_modules are needed (make test installs them with npm ci)")
        pytest.skip("node or tests/watermelon/node_modules missing: run make test (npm ci in tests/watermelon)")
    return node


def _token(who: Person) -> str:
    return mint(who.sub, who.email, who.org_id, who.campus_id, verified=True)


def _run(script: str, **env: str) -> str:
    result = subprocess.run([_node(), script], cwd=CLIENT, env={**os.environ, **env}, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
    assert '"ok":true' in result.stdout
    return result.stdout


def test_watermelondb_synchronize_round_trip(http: Http):
    mentor = Person.new(f"e2e-{uuid.uuid4().hex[:8]}")
    _run("sync_roundtrip.js", BASE_URL=http.url, TOKEN=_token(mentor))


def test_two_devices_and_a_coordinator_converge(http: Http):
    org = f"e2e-{uuid.uuid4().hex[:8]}"
    admin, mentor, coordinator = Person.new(org, email=ADMIN_EMAIL), Person.new(org), Person.new(org)
    for who in (admin, mentor, coordinator):
        assert http.call("GET", "/api/users/me", who).status == 200  # first sign-in
    assert http.call("PATCH", f"/api/users/{coordinator.sub}", admin, {"role": "coordinator"}).status == 200
    _run("sync_team.js", BASE_URL=http.url, MENTOR_TOKEN=_token(mentor), MENTOR_ID=mentor.sub, COORDINATOR_TOKEN=_token(coordinator))
