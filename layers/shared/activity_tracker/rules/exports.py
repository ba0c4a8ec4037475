"""When an export run is over, when it is stuck, when its file is gone, and what its user is told.

A run ends `done` or `failed` by itself, including when it nears the worker's time limit (it
stops with `RESERVE` left to abort the upload and record the failure). Only a run killed outright
(out of memory, a crash of the runtime) can leave `running` behind; once its claim is older than
the worker's timeout it cannot still be working, so it reads as failed (`STOPPED`), and the sweep
(`bufdir/sweep.py`) writes that down. A `pending` export whose stream record never reached the
worker (dropped after the stream's record age limit, or failing before the claim) is re-driven by
the sweep `MAX_REDRIVES` times, `PENDING_REDRIVE_AFTER` apart, then ends `failed` (`NOT_STARTED`).
A `done` export reads as `expired` once the bucket's lifecycle may have deleted its file.

Reasons shown to users are these fixed texts only; what went wrong inside goes to the logs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

MAX_PERIOD_DAYS = 366  # an export covers at most this many days (API.md)
WORKER_TIMEOUT = timedelta(seconds=900)  # template.yaml JobsWorkerFunction Timeout
STALE_RUNNING = WORKER_TIMEOUT + timedelta(minutes=1)
RESERVE_SECONDS = 60.0  # left, when the worker gives up, to abort the upload and write `failed`
PENDING_REDRIVE_AFTER = timedelta(hours=1)  # a pending export not claimed for this long is re-driven (then failed); on the 1st of the month a backlog may keep exports pending for a while
MAX_REDRIVES = 3
RETENTION = timedelta(days=90)  # template.yaml ExportsBucket lifecycle `expire-exports` ExpirationInDays
ONE_AT_A_TIME_RETRY_SECONDS = 30  # Retry-After while another export of the organization is pending or running

STOPPED = "WorkerStopped: the export worker stopped without finishing (killed or out of time); request the export again"
TIME_LIMIT = "TimeLimit: the export did not finish within the worker's time limit; request a shorter period or try again"
NOT_STARTED = "NotStarted: the export could not be started; request it again"
FAILED = "ExportFailed: the export could not be produced; request it again, or give support its id"


def out_of_time(seconds_left: float) -> bool:
    return seconds_left < RESERVE_SECONDS


def shown_status(status: str, started_at: str | None, stale_before: str, expired_before: str | None = None) -> tuple[str, str | None]:
    """(status, error) as a reader sees them: a `running` claim older than the worker's timeout is
    dead; a `done` export whose run started before `expired_before` has lost its file (the
    lifecycle counts from the object's creation, which is after the claim, so never too late)."""
    if status == "running" and started_at is not None and started_at < stale_before:
        return "failed", STOPPED
    if status == "done" and expired_before is not None and started_at is not None and started_at < expired_before:
        return "expired", None
    return status, None


def settled(dto: dict[str, Any], started_at: str | None, stale_before: str, expired_before: str | None = None) -> dict[str, Any]:
    status, error = shown_status(dto["status"], started_at, stale_before, expired_before)
    if status == dto["status"]:
        return dto
    shown = {**dto, "status": status}
    shown.pop("url", None)
    if error:
        shown["error"] = error
    return shown


def seconds_to_next_day(moment: datetime) -> int:
    """Retry-After for the daily quota: until the next UTC midnight (at least 1)."""
    tomorrow = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((tomorrow - moment).total_seconds() + 0.999))
