"""When an export run is over: the worker's time budget, and how a run that died shows.

A run ends `done` or `failed` by itself, including when it nears the worker's time limit (it
stops with `RESERVE` left to abort the upload and record the failure). Only a run killed outright
(out of memory, a crash of the runtime) can leave `running` behind; once its claim is older than
the worker's timeout it cannot still be working, so it reads as failed (`STOPPED`), and a
redelivered record may claim it again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

MAX_PERIOD_DAYS = 366  # an export covers at most this many days (API.md)
WORKER_TIMEOUT = timedelta(seconds=900)  # template.yaml ExportsWorkerFunction Timeout
STALE_RUNNING = WORKER_TIMEOUT + timedelta(minutes=1)
RESERVE_SECONDS = 60.0  # left, when the worker gives up, to abort the upload and write `failed`
STOPPED = "WorkerStopped: the export worker stopped without finishing (killed or out of time); request the export again"
TIME_LIMIT = "TimeLimit: the export did not finish within the worker's time limit; request a shorter period or try again"


def out_of_time(seconds_left: float) -> bool:
    return seconds_left < RESERVE_SECONDS


def shown_status(status: str, started_at: str | None, stale_before: str) -> tuple[str, str | None]:
    """(status, error) as a reader sees them: a `running` claim older than the worker's timeout is dead."""
    if status == "running" and started_at is not None and started_at < stale_before:
        return "failed", STOPPED
    return status, None


def settled(dto: dict[str, Any], started_at: str | None, stale_before: str) -> dict[str, Any]:
    status, error = shown_status(dto["status"], started_at, stale_before)
    if error:
        return {**dto, "status": status, "error": error}
    return dto
