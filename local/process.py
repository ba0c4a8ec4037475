"""A local stack in a child process: `python -m local serve` on a free port, exactly as `make local`
runs it, for the end-to-end tests, `make fuzz`, `make load` and `make chaos`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.dynamodb_local import free_port
from local.template import ROOT


@dataclass
class ChildStack:
    url: str
    log: Path
    state: Path  # its state file (`python -m local invoke` reads it)
    process: subprocess.Popen[bytes]
    stopped: bool = False

    def state_json(self) -> dict[str, Any]:
        return dict(json.loads(self.state.read_text()))

    def environment(self) -> dict[str, str]:
        """What a child process needs to reach this stack with `python -m local invoke`."""
        return {**os.environ, "LOCAL_STATE_FILE": str(self.state), "PYTHONPATH": str(ROOT)}


@contextmanager
def child_stack(directory: Path, admin_emails: str, timeout: float = 60, **settings: str) -> Iterator[ChildStack]:
    """Start the stack with `settings` in its environment (its own AWS endpoints, never the caller's),
    yield it once it prints `ready`, stop it with Ctrl-C as a user would."""
    port = free_port()
    log, state = directory / f"local-{port}.log", directory / f"local-{port}.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_NAME", "LOCAL_FAULTS"))}
    env.update({
        "PORT": str(port), "ADMIN_EMAILS": admin_emails, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
        "LOCAL_DYNAMODB_FALLBACK": "none", "LOCAL_STATE_FILE": str(state), **settings,
    })  # fmt: skip
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "local", "serve"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    running = ChildStack(f"http://127.0.0.1:{port}", log, state, process)
    try:
        deadline = time.time() + timeout
        while "ready" not in log.read_text().splitlines():
            if process.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"the local runner did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield running
    finally:
        stop(running)


def stop(running: ChildStack) -> None:
    """Ctrl-C, then a kill after 15 s; says so on stderr when it had died on its own."""
    if running.stopped:
        return
    running.stopped = True
    died = running.process.poll()
    if died is None:
        running.process.send_signal(2)
        try:
            running.process.wait(15)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait()
    else:
        print(f"the local runner exited during the run (code {died}); its log: {running.log}\n" + running.log.read_text()[-5000:], file=sys.stderr)
