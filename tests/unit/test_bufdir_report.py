"""The export's pure parts: which activities count, a row, the summary, CSV/JSON framing, and the
plain-value reading of raw DynamoDB attributes the worker uses instead of model objects."""

from __future__ import annotations

import csv
import io
import json

import pytest

from activity_tracker.bufdir.report import ATTRIBUTES, COLUMNS, CsvRows, JsonRows, Summary, counts, reported_category, row
from activity_tracker.repository.activities import _plain

BASE = {
    "id": "a1", "activity_date": "2026-11-02T10:00:00.000Z", "local_date": "2026-11-02", "user_id": "u1",
    "registered_by_user_id": "u1", "activity_type": "home_visit", "duration_minutes": 45, "status": "approved",
    "bufdir_eligible": True,
}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, True),
        ({"local_date": "2026-10-31"}, False),
        ({"local_date": "2026-12-01"}, False),
        ({"local_date": "2026-11-30"}, True),
        ({"status": "under_review"}, False),
        ({"status": "rejected"}, False),
        ({"deleted_at": "2026-11-03T00:00:00.000Z"}, False),
    ],
)
def test_only_approved_live_activities_inside_the_period_count(change, expected):
    assert counts({**BASE, **change}, "2026-11-01", "2026-11-30") is expected


DEFAULT_MAP = {"home_visit": "outreach", "meeting": "outreach", "group_activity": "group", "course": "peer_course", "phone_call": None, "other": None}


@pytest.mark.parametrize(
    ("change", "mapping", "expected"),
    [
        ({}, {}, "outreach"),
        ({"duration_minutes": 15}, {"home_visit": "group"}, None),  # a 15-minute visit is no group activity, whatever the stored flag said
        ({"duration_minutes": 45, "is_group_activity": True, "participant_count": 3}, {"home_visit": "group"}, "group"),
        ({"duration_minutes": 45, "is_group_activity": True, "participant_count": 2}, {"home_visit": "group"}, None),
        ({"duration_minutes": 89}, {"home_visit": "peer_course"}, None),
        ({"duration_minutes": 90}, {"home_visit": "peer_course"}, "peer_course"),
        ({}, {"home_visit": None}, None),
        ({"activity_type": "phone_call", "bufdir_eligible": False}, {"phone_call": "outreach"}, "outreach"),  # mapped since it was written
        ({"bufdir_excluded": True}, {}, None),
    ],
)
def test_the_category_reported_is_decided_with_the_mapping_at_export_time(change, mapping, expected):
    assert reported_category({**BASE, "bufdir_eligible": True, **change}, {**DEFAULT_MAP, **mapping}, False) == expected


def test_a_test_organization_reports_nothing():
    assert reported_category(BASE, DEFAULT_MAP, True) is None


def test_a_row_has_every_column_absent_flags_false_and_numbers_whole():
    out = row({**BASE, "participant_count": 3.0, "is_group_activity": True}, "outreach")
    assert tuple(out) == COLUMNS
    assert out["bufdir_category"] == "outreach" and out["participants"] == 3 and out["participant_count"] == 3
    assert out["is_proxy_registration"] is False and out["has_home_visit_report"] is False and out["contact_id"] is None
    assert set(ATTRIBUTES) >= {c for c in COLUMNS if c not in ("bufdir_category", "participants")} | {"status", "deleted_at", "bufdir_excluded"}


def test_summary_per_category_with_distinct_days_and_mentors():
    summary = Summary()
    summary.add(BASE, "outreach")
    summary.add({**BASE, "id": "a2", "user_id": "u2", "duration_minutes": 15}, "outreach")
    summary.add({**BASE, "id": "a3", "local_date": "2026-11-03", "is_group_activity": True, "participant_count": 5}, "group")
    assert summary.as_dict() == {
        "categories": {
            "group": {"activity_count": 1, "activity_days": 1, "participants": 5, "duration_minutes": 45},
            "outreach": {"activity_count": 2, "activity_days": 1, "participants": 2, "duration_minutes": 60},
        },
        "active_mentors": 2,
    }


def test_csv_framing_survives_commas_quotes_and_newlines():
    fmt = CsvRows()
    tricky = 'Hei, "du"\r\nlinje 2; ø'
    data = fmt.start({}) + fmt.add(row({**BASE, "summary": tricky}, "outreach")) + fmt.end({})
    assert data.startswith(b"id,activity_date,local_date") and b"\r\n" in data
    (parsed,) = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    assert parsed["summary"] == tricky and parsed["is_group_activity"] == "false" and parsed["contact_id"] == ""


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A9)", "\tnote", "\r=1+1", "=1,2;\"x\"\r\n"])
def test_a_csv_text_cell_a_spreadsheet_would_run_gets_a_leading_quote(text: str):
    fmt = CsvRows()
    data = fmt.start({}) + fmt.add(row({**BASE, "summary": text, "user_id": text, "duration_minutes": 45}, "outreach"))
    (parsed,) = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    assert parsed["summary"] == parsed["user_id"] == "'" + text  # RFC 4180 quoting still round-trips it
    assert parsed["duration_minutes"] == "45" and parsed["is_group_activity"] == "false" and parsed["id"] == "a1"


@pytest.mark.parametrize("text", ["Visited Kari", " =not first", "'quoted already", "2+2", "", "søndag - tur"])
def test_other_csv_text_cells_are_unchanged(text: str):
    fmt = CsvRows()
    data = fmt.start({}) + fmt.add(row({**BASE, "summary": text}, "outreach"))
    (parsed,) = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    assert parsed["summary"] == text


def test_the_json_export_keeps_text_as_it_is():
    fmt = JsonRows()
    document = json.loads(fmt.start({}) + fmt.add(row({**BASE, "summary": "=1+1"}, "outreach")) + fmt.end({}))
    assert document["rows"][0]["summary"] == "=1+1"


def test_json_framing_is_one_document():
    fmt = JsonRows()
    data = fmt.start({"id": "e"}) + fmt.add(row(BASE, "outreach")) + fmt.add(row({**BASE, "id": "a2"}, "outreach")) + fmt.end({"active_mentors": 1})
    document = json.loads(data)
    assert [r["id"] for r in document["rows"]] == ["a1", "a2"] and document["summary"] == {"active_mentors": 1}


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ({"S": "tekst"}, "tekst"),
        ({"N": "60"}, 60),
        ({"N": "-3"}, -3),
        ({"N": "1.5"}, 1.5),
        ({"BOOL": False}, False),
        ({"NULL": True}, None),
        ({"SS": ["a"]}, {"a"}),
    ],
)
def test_raw_attribute_values_read_as_plain_python(raw, plain):
    assert _plain(raw) == plain


def test_a_running_export_reads_as_failed_only_once_its_claim_outlived_the_worker():
    from activity_tracker.rules.exports import STOPPED, out_of_time, shown_status

    stale_before = "2026-11-24T10:00:00.000Z"
    assert shown_status("running", "2026-11-24T09:59:59.999Z", stale_before) == ("failed", STOPPED)
    assert shown_status("running", "2026-11-24T10:00:00.000Z", stale_before) == ("running", None)
    assert shown_status("done", "2026-11-24T09:00:00.000Z", stale_before) == ("done", None)
    assert shown_status("pending", None, stale_before) == ("pending", None)
    assert out_of_time(59.9) and not out_of_time(60.0)


def test_the_worker_timeout_the_rules_assume_is_the_templates():
    from activity_tracker.rules.exports import WORKER_TIMEOUT
    from local.template import Stack

    (worker,) = [f for f in Stack().functions if f.logical_id == "JobsWorkerFunction"]
    assert worker.timeout == WORKER_TIMEOUT.total_seconds()


def test_a_done_export_reads_expired_once_the_lifecycle_may_have_deleted_its_file():
    from activity_tracker.rules.exports import settled, shown_status

    stale, expired = "2026-11-24T10:00:00.000Z", "2026-08-26T10:00:00.000Z"
    assert shown_status("done", "2026-08-26T09:59:59.999Z", stale, expired) == ("expired", None)
    assert shown_status("done", "2026-08-26T10:00:00.000Z", stale, expired) == ("done", None)
    assert shown_status("failed", "2026-01-01T00:00:00.000Z", stale, expired) == ("failed", None)
    dto = {"status": "done", "url": "https://presigned", "error": None}
    assert settled(dto, "2026-01-01T00:00:00.000Z", stale, expired) == {"status": "expired", "error": None}


def test_the_retention_the_rules_assume_is_the_buckets_lifecycle():
    from activity_tracker.rules.exports import RETENTION
    from local.template import Stack

    rules = Stack().resources["ExportsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    (expiry,) = [rule["ExpirationInDays"] for rule in rules if "ExpirationInDays" in rule and "Prefix" not in rule]  # the whole bucket's rule
    assert RETENTION.days == expiry


def test_retry_after_of_the_daily_quota_runs_to_the_next_utc_midnight():
    from datetime import UTC, datetime

    from activity_tracker.rules.exports import seconds_to_next_day

    assert seconds_to_next_day(datetime(2026, 11, 30, 23, 59, 30, tzinfo=UTC)) == 30
    assert seconds_to_next_day(datetime(2026, 11, 30, 0, 0, 0, tzinfo=UTC)) == 24 * 3600
    assert seconds_to_next_day(datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=UTC)) == 1


@pytest.mark.parametrize(
    ("event", "status", "delivered"),
    [("INSERT", "pending", True), ("MODIFY", "pending", True), ("MODIFY", "running", False), ("MODIFY", "done", False), ("MODIFY", "failed", False), ("REMOVE", None, False)],
)
def test_the_worker_gets_an_export_queued_or_queued_again_and_nothing_else(event: str, status, delivered: bool):
    from local.filters import matches
    from local.template import Stack

    (worker,) = [f for f in Stack().functions if f.logical_id == "JobsWorkerFunction"]
    image = {"type": {"S": "EXPORT"}, **({"status": {"S": status}} if status else {})}
    record = {"eventName": event, "dynamodb": {"NewImage": image} if event != "REMOVE" else {"OldImage": image}}
    assert any(matches(pattern, record) for pattern in worker.streams[0].filters) is delivered
