"""The sweep: no export stays `pending` or `running` for ever.

The worker runs an export when the table's stream delivers its INSERT (or a MODIFY that leaves it
`pending`). A record can be lost to it: dropped past the stream's record age limit (24 h) while
the worker lags, or failing every retry before the claim (then it sits in the dead-letter queue).
Every few minutes the sweep reads the unfinished exports (GSI4, sparse: only pending and running
ones are in it) and, for each:

- pending, queued more than `PENDING_REDRIVE_AFTER` ago: re-driven (its item touched, which the
  stream delivers again; a claim is conditional, so a record still on its way as well is harmless),
  at most `MAX_REDRIVES` times, then `failed` with `NOT_STARTED`;
- running, claimed longer ago than the worker's timeout: `failed` with `STOPPED` (what the API
  already shows for it).

Each write is conditioned on the export being as read, so a worker claiming or finishing it at the
same moment wins."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from activity_tracker.clock import iso, now
from activity_tracker.repository import exports
from activity_tracker.rules.exports import MAX_REDRIVES, NOT_STARTED, PENDING_REDRIVE_AFTER, STALE_RUNNING, STOPPED


@dataclass
class Swept:
    redriven: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    waiting: int = 0  # unfinished and not stale

    def as_dict(self) -> dict[str, object]:
        return {"redriven": self.redriven, "failed": self.failed, "waiting": self.waiting}


def sweep(moment: datetime | None = None) -> Swept:
    moment = moment or now()
    stale_pending, stale_running = iso(moment - PENDING_REDRIVE_AFTER), iso(moment - STALE_RUNNING)
    out = Swept()
    for export in exports.unfinished():
        if export.status == "pending" and (export.queued_at or export.created_at) < stale_pending:
            if int(export.redrives or 0) < MAX_REDRIVES:
                if exports.redrive(export):
                    out.redriven.append(export.id)
            elif exports.fail_stuck(export, NOT_STARTED):
                out.failed.append(export.id)
        elif export.status == "running" and export.started_at is not None and export.started_at < stale_running:
            if exports.fail_stuck(export, STOPPED):
                out.failed.append(export.id)
        else:
            out.waiting += 1
    return out
