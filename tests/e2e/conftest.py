"""Starts the local runner exactly as `make local` does, on a free port, once per session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.dynamodb_local import free_port
from local.jwt_local import mint
from local.template import Stack
from tests.helpers import ContractCheck, Person, Reply

ROOT = Path(__file__).resolve().parents[2]
# Emails are unique system-wide: each e2e test that needs an admin takes its own from this pool.
ADMIN_POOL = [f"e2e-admin-{n}@tests.example" for n in range(1, 21)]
ADMIN_EMAILS = ",".join(ADMIN_POOL)
_next_admin = iter(ADMIN_POOL)
EXPORTS_DAILY_QUOTA = 3  # the stack's ExportsDailyQuota, low enough to reach over HTTP


def admin_email() -> str:
    return next(_next_admin)


@dataclass
class Http:
    url: str
    log: Path
    state: Path  # the running stack's state file, for `python -m local invoke`
    check: ContractCheck  # each success body against the response model its handler declares

    def call(self, method: str, path: str, who: Person | None = None, body: Any = None, *, token: str | None = None, raw: bytes | None = None) -> Reply:
        headers = {"content-type": "application/json"}
        if token is None and who is not None:
            token = mint(who.sub, who.email, who.org_id, who.campus_id)
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
                self.check(method, path, response.status, text)
                return Reply(response.status, json.loads(text) if text else None, {k.lower(): v for k, v in response.headers.items()})
        except urllib.error.HTTPError as error:
            text = error.read()
            return Reply(error.code, json.loads(text) if text else None, {k.lower(): v for k, v in error.headers.items()})


@pytest.fixture(scope="session")
def http(tmp_path_factory: pytest.TempPathFactory, stack: Stack) -> Iterator[Http]:
    port = free_port()
    log = tmp_path_factory.mktemp("local") / "local.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_NAME"))}
    state = log.parent / "stack.json"
    env.update({"PORT": str(port), "ADMIN_EMAILS": ADMIN_EMAILS, "EXPORTS_DAILY_QUOTA": str(EXPORTS_DAILY_QUOTA), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "LOCAL_DYNAMODB_FALLBACK": "none", "LOCAL_STATE_FILE": str(state)})
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "local", "serve"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while "ready" not in log.read_text().splitlines():
        if process.poll() is not None or time.time() > deadline:
            process.kill()
            pytest.fail(f"the local runner did not start:\n{log.read_text()}")
        time.sleep(0.2)
    yield Http(f"http://127.0.0.1:{port}", log, state, ContractCheck(stack))
    process.send_signal(2)  # Ctrl-C
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the local runner did not stop on Ctrl-C")
    assert "stopped" in log.read_text()
