"""The clients a mobile developer generates from docs/openapi.json, with each generator's default
settings, against the stack over HTTP: the same scenario (sign in, log an activity, sync and pull,
list with a cursor, review, export) in TypeScript (openapi-typescript + openapi-fetch, checked with
`tsc --strict`, then run with node) and in Python (openapi-python-client, checked with
`mypy --strict`, then run). A change of the contract that breaks either client's code fails here.
`make test` installs both generators (tests/clients: npm ci from package-lock.json; pip from
requirements.txt)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from local.jwt_local import mint
from local.openapi import OPENAPI_FILE
from tests.e2e.conftest import ADMIN_EMAIL, Http
from tests.helpers import Person

pytestmark = pytest.mark.e2e

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
TYPESCRIPT = CLIENTS / "typescript"
PYTHON = CLIENTS / "python"
BIN = Path(sys.executable).parent  # the venv's scripts: openapi-python-client and the ruff it formats with


def missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is needed (make test installs it)")
    pytest.skip(f"{what} missing: run make test")


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 180) -> str:
    result = subprocess.run(command, cwd=cwd, env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **(env or {})}, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, f"{' '.join(command[:3])} failed:\nstdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
    return result.stdout + result.stderr


def scenario_env(http: Http) -> dict[str, str]:
    """A member and the e2e admin of a new organization, signed in with local tokens."""
    member = Person.new(f"clients-{uuid.uuid4().hex[:8]}")
    return {
        "BASE_URL": http.url,
        "MEMBER_TOKEN": mint(member.sub, member.email, member.org_id),
        "ADMIN_TOKEN": mint(str(uuid.uuid4()), ADMIN_EMAIL, member.org_id),
    }


def test_typescript_client_type_checks_strict_and_runs_the_scenario(http: Http):
    node, npx = shutil.which("node"), shutil.which("npx")
    if node is None or npx is None or not (TYPESCRIPT / "node_modules" / "openapi-typescript").is_dir():
        missing("node with tests/clients/typescript/node_modules")
    shutil.rmtree(TYPESCRIPT / "generated", ignore_errors=True)
    shutil.rmtree(TYPESCRIPT / "build", ignore_errors=True)
    generated = run([npx, "--no-install", "openapi-typescript", str(OPENAPI_FILE), "--output", "generated/api.d.ts"], TYPESCRIPT)
    assert "⚠" not in generated and "warn" not in generated.lower(), generated
    run([npx, "--no-install", "tsc", "--project", "tsconfig.json", "--strict"], TYPESCRIPT)  # tsconfig.json: strict, emits build/
    out = run([node, "build/scenario.js"], TYPESCRIPT, scenario_env(http))
    assert '{"ok":true}' in out, out


def test_python_client_type_checks_strict_and_runs_the_scenario(http: Http, tmp_path: Path):
    generator = BIN / "openapi-python-client"
    if not generator.exists():
        missing("openapi-python-client (tests/clients/python/requirements.txt)")
    generated = run([str(generator), "generate", "--path", str(OPENAPI_FILE), "--output-path", str(tmp_path / "client"), "--config", str(PYTHON / "config.yaml")], tmp_path)
    assert "Warning" not in generated, generated  # a schema it cannot turn into code is only a warning to it
    package = tmp_path / "client"
    # the scenario's own code strictly; the generated modules only for the types they give it
    # (their Error.from_dict reuses the name `error`, which mypy --strict reports in that file)
    run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental", "--cache-dir", os.devnull, "--python-version", "3.11", str(PYTHON / "scenario.py")], tmp_path, {"MYPYPATH": str(package)})
    out = run([sys.executable, str(PYTHON / "scenario.py")], tmp_path, {**scenario_env(http), "PYTHONPATH": str(package)})
    assert '{"ok": true}' in out, out
