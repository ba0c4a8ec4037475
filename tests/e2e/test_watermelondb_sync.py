"""The real client: WatermelonDB's synchronize() with its LokiJS adapter (Node) against the stack over HTTP.

tests/watermelon/sync_roundtrip.js plays a device: records born on the server and on the device,
edits and deletions on both sides, each reaching the other. `make test` installs its packages
(`npm ci` in tests/watermelon, pinned by package-lock.json).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from local.jwt_local import mint
from tests.e2e.conftest import Http
from tests.helpers import Person

pytestmark = pytest.mark.e2e

CLIENT = Path(__file__).resolve().parents[1] / "watermelon"


def test_watermelondb_synchronize_round_trip(http: Http):
    node = shutil.which("node")
    if node is None or not (CLIENT / "node_modules" / "@nozbe" / "watermelondb").is_dir():
        if os.environ.get("CI"):
            pytest.fail("node and tests/watermelon/node_modules are needed (make test installs them with npm ci)")
        pytest.skip("node or tests/watermelon/node_modules missing: run make test (npm ci in tests/watermelon)")
    mentor = Person.new(f"e2e-{uuid.uuid4().hex[:8]}")
    token = mint(mentor.sub, mentor.email, mentor.org_id, mentor.campus_id, verified=True)
    result = subprocess.run(
        [node, "sync_roundtrip.js"], cwd=CLIENT, env={**os.environ, "BASE_URL": http.url, "TOKEN": token},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}"
    assert '"ok":true' in result.stdout
