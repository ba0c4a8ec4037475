"""`make fuzz`: schemathesis over every operation of docs/openapi.json against a fresh local stack.

Starts `python -m local serve` on a free port (as the end-to-end tests do), signs in an admin
(from ADMIN_EMAILS, so role checks let most requests reach the logic) and a member, and runs
`schemathesis run` once per caller with the checks the contract promises: no 5xx for any input,
and every response conforms to the schema it is documented with (status code, content type, body).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from local.jwt_local import mint, stable_sub
from local.openapi import OPENAPI_FILE
from local.process import child_stack
from local.template import ROOT

IDEMPOTENCY_KEY = "Idempotency-Key"
MAX_KEY_CHARS = 255


def unique_idempotency_key(headers: dict[str, Any] | None) -> None:
    """Make the generated Idempotency-Key of `headers` (if any) unique, within its 255 characters."""
    if headers and isinstance(headers.get(IDEMPOTENCY_KEY), str):
        suffix = f"-{uuid.uuid4()}"
        headers[IDEMPOTENCY_KEY] = headers[IDEMPOTENCY_KEY][: MAX_KEY_CHARS - len(suffix)].rstrip() + suffix


CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
FUZZ_ADMIN = "fuzz-admin@fuzz.example"


@contextmanager
def local_stack(admin_emails: str) -> Iterator[str]:
    """A fresh stack in a child process; yields its URL and shows its log's errors afterwards."""
    # no daily export quota to speak of: the fuzzer's exports test the contract, not the quota (its
    # 429s would leave every generated export refused, which schemathesis reads as a schema mismatch)
    with child_stack(Path(tempfile.gettempdir()), admin_emails, LOCAL_LOG_LEVEL="WARNING", EXPORTS_DAILY_QUOTA="1000000") as running:
        try:
            yield running.url
        finally:
            errors = [line for line in running.log.read_text().splitlines() if "Traceback" in line or " failed" in line]
            if errors:
                print(f"local runner log ({running.log}) had {len(errors)} error line(s):\n" + running.log.read_text()[-5000:], file=sys.stderr)


def main(max_examples: int = 100, extra: list[str] | None = None) -> int:
    from local.openapi import check

    if not check():
        print("docs/openapi.json differs from the code: run `make openapi` first.", file=sys.stderr)
        return 1
    org = f"fuzz-{uuid.uuid4().hex[:8]}"
    callers = {"admin": FUZZ_ADMIN, "member": "fuzz-member@fuzz.example"}
    worst = 0
    with local_stack(FUZZ_ADMIN) as url:
        for role, email in callers.items():
            token = mint(stable_sub(email), email, org, ttl_seconds=4 * 3600)
            command = [
                sys.executable, "-m", "schemathesis.cli", "run", str(OPENAPI_FILE), "--url", url,
                "--header", f"Authorization: Bearer {token}", "--checks", CHECKS,
                "--max-examples", str(max_examples), "--workers", "1", "--suppress-health-check", "all",
                "--seed", os.environ.get("FUZZ_SEED", "42"), "--generation-database", "none", *(extra or []),
            ]  # fmt: skip
            print(f"\n=== schemathesis as {role} ({email}, org {org}) against {url}", flush=True)
            worst = max(worst, subprocess.call(command, cwd=ROOT, env={**os.environ, "SCHEMATHESIS_HOOKS": "local.fuzz_hooks"}))
    return worst
