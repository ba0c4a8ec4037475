"""Starts the local runner exactly as `make local` does, on a free port, once per session."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.jwt_local import mint
from local.process import child_stack, stop
from local.template import Stack
from tests.helpers import ContractCheck, Person, Reply, read_body

ROOT = Path(__file__).resolve().parents[2]
# An email is unique within an organization: every e2e test's admin, each in its own organization.
ADMIN_EMAIL = "e2e-admin@tests.example"
EXPORTS_DAILY_QUOTA = 3  # the stack's ExportsDailyQuota, low enough to reach over HTTP


@dataclass
class Http:
    url: str
    log: Path
    state: Path  # the running stack's state file, for `python -m local invoke`
    check: ContractCheck  # each success body against the response model its handler declares

    def call(self, method: str, path: str, who: Person | None = None, body: Any = None, *, token: str | None = None, raw: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
        headers = {"content-type": "application/json", **(headers or {})}
        if token is None and who is not None:
            token = mint(who.sub, who.email, who.org_id, who.campus_id, verified=who.email_verified)
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read()
                answered = {k.lower(): v for k, v in response.headers.items()}
                self.check(method, path, response.status, text, answered)
                return Reply(response.status, read_body(text, answered), answered)
        except urllib.error.HTTPError as error:
            text = error.read()
            answered = {k.lower(): v for k, v in error.headers.items()}
            return Reply(error.code, read_body(text, answered), answered)


@contextmanager
def running_stack(directory: Path, stack: Stack, **settings: str) -> Iterator[Http]:
    """A fresh `make local` in a child process (local/process.py), with `settings` in its environment;
    it must stop on Ctrl-C as a user would stop it."""
    with child_stack(directory, ADMIN_EMAIL, EXPORTS_DAILY_QUOTA=str(EXPORTS_DAILY_QUOTA), **settings) as running:
        yield Http(running.url, running.log, running.state, ContractCheck(stack))
        stop(running)
        assert running.process.returncode is not None and "stopped" in running.log.read_text(), "the local runner did not stop on Ctrl-C"


@pytest.fixture(scope="session")
def http(tmp_path_factory: pytest.TempPathFactory, stack: Stack) -> Iterator[Http]:
    with running_stack(tmp_path_factory.mktemp("local"), stack) as running:
        yield running
