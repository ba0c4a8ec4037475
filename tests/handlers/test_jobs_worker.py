"""The job worker (JobsWorkerFunction), the table stream's one reader of jobs: each job type it is
let through runs under its one set of grants, a failed job is the only record reported for retry,
and a job type's code is imported only when one of its records comes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import Api, Person, make_user
from tests.stream_helpers import JOBS_WORKER, consume, recorded

ROOT = Path(__file__).resolve().parents[2]
NOVEMBER = {"period_start": "2026-11-01", "period_end": "2026-11-30"}


def _queue_one_of_each(api: Api, org_id: str) -> tuple[Person, dict[str, str]]:
    """A personal-data export, an erasure (of a contact) and a Bufdir export, queued in that order."""
    admin, person = make_user(api, org_id, "admin"), make_user(api, org_id)
    contact = api.call("POST", "/api/contacts", admin, {"name": "Ola Nordmann"}).body["id"]
    data_export = api.call("POST", "/api/users/me/data-export", person)
    erasure = api.call("POST", f"/api/contacts/{contact}/erase", admin)
    export = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER)
    assert (data_export.status, erasure.status, export.status) == (202, 202, 202), (data_export.body, erasure.body, export.body)
    return admin, {"data-exports": data_export.body["id"], "erasures": erasure.body["id"], "exports": export.body["id"]}


def _statuses(api: Api, admin: Person, queued: dict[str, str]) -> dict[str, str]:
    return {path: api.call("GET", f"/api/{path}/{job_id}", admin).body["status"] for path, job_id in queued.items()}


def test_one_batch_of_each_job_type_runs_every_job_through_the_job_worker(api: Api, org_id: str):
    admin, queued = _queue_one_of_each(api, org_id)
    records = recorded(api.stack, org_id, JOBS_WORKER)
    assert [r["dynamodb"]["NewImage"]["type"]["S"] for r in records] == ["DATA_EXPORT", "ERASURE", "EXPORT"]

    assert consume(api, records, JOBS_WORKER) == {"batchItemFailures": []}  # the local runner enforces the worker's grants

    assert _statuses(api, admin, queued) == {"data-exports": "done", "erasures": "done", "exports": "done"}


def test_a_failing_job_is_the_only_record_reported_and_the_others_run(api: Api, org_id: str, monkeypatch: pytest.MonkeyPatch):
    from activity_tracker.privacy import erasure

    admin, queued = _queue_one_of_each(api, org_id)
    records = recorded(api.stack, org_id, JOBS_WORKER)
    monkeypatch.setattr(erasure, "run", lambda job, seconds_left=None: (_ for _ in ()).throw(RuntimeError("erasure bug")))

    result = consume(api, records, JOBS_WORKER)

    (failed,) = [r for r in records if r["dynamodb"]["NewImage"]["type"]["S"] == "ERASURE"]
    assert result == {"batchItemFailures": [{"itemIdentifier": failed["dynamodb"]["SequenceNumber"]}]}
    statuses = _statuses(api, admin, queued)
    assert statuses["data-exports"] == statuses["exports"] == "done" and statuses["erasures"] != "done", statuses


def test_a_record_of_no_job_type_is_skipped(api: Api):
    record: dict[str, Any] = {
        "eventID": "1",
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {"SequenceNumber": "1", "Keys": {"pk": {"S": "ORG#x"}, "sk": {"S": "ORG"}}, "NewImage": {"type": {"S": "ORGANIZATION"}}},
    }
    assert consume(api, [record], JOBS_WORKER) == {"batchItemFailures": []}


IMPORTS = """
import json, sys
sys.path.insert(0, {layer!r})
from activity_tracker.stream import jobs
before = sorted(m for m in ("activity_tracker.bufdir.handlers", "activity_tracker.privacy.handlers") if m in sys.modules)
jobs.record_handler_for("DATA_EXPORT")
after = sorted(m for m in ("activity_tracker.bufdir.handlers", "activity_tracker.privacy.handlers") if m in sys.modules)
print(json.dumps({{"before": before, "after": after}}))
"""


def test_a_job_types_code_is_imported_only_when_its_record_comes():
    code = IMPORTS.format(layer=str(ROOT / "layers" / "shared"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ), check=True, timeout=60)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"before": [], "after": ["activity_tracker.privacy.handlers"]}
