"""Bufdir export end to end: queued over HTTP, run by the worker the stream poller feeds,
downloaded from the presigned URL; and the monthly schedule run with `python -m local invoke`."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import urllib.request
import uuid

import pytest

from tests.e2e.conftest import ADMIN_EMAIL, EXPORTS_DAILY_QUOTA, ROOT, Http
from tests.e2e.test_stats_over_http import wait_for
from tests.helpers import Person

pytestmark = pytest.mark.e2e


def test_export_over_http(http: Http):
    org = f"e2e-{uuid.uuid4().hex[:8]}"
    admin = Person.new(org, email=ADMIN_EMAIL)
    visit = http.call("POST", "/api/activities", admin, {"activity_date": "2026-11-02", "activity_type": "home_visit", "summary": "tea, cake and \"news\""}).body
    http.call("POST", f"/api/activities/{visit['id']}/review", admin, {"action": "approve"})
    queued = http.call("POST", "/api/exports/bufdir", admin, {"period_start": "2026-11-01", "period_end": "2026-11-30", "format": "csv"})
    assert queued.status == 202
    done = wait_for(lambda: (lambda body: body if body["status"] in ("done", "failed") else None)(http.call("GET", f"/api/exports/{queued.body['id']}", admin).body))
    assert done and done["status"] == "done" and done["row_count"] == 1
    with urllib.request.urlopen(done["url"], timeout=10) as response:
        rows = list(csv.DictReader(io.StringIO(response.read().decode("utf-8"), newline="")))
    assert [(r["id"], r["summary"]) for r in rows] == [(visit["id"], visit["summary"])]
    formula = http.call("POST", "/api/activities", admin, {"activity_date": "2026-10-02", "activity_type": "home_visit", "summary": "=cmd|' /C calc'!A0"}).body
    http.call("POST", f"/api/activities/{formula['id']}/review", admin, {"action": "approve"})
    october = http.call("POST", "/api/exports/bufdir", admin, {"period_start": "2026-10-01", "period_end": "2026-10-31"}).body["id"]
    done = wait_for(lambda: (lambda body: body if body["status"] in ("done", "failed") else None)(http.call("GET", f"/api/exports/{october}", admin).body))
    with urllib.request.urlopen(done["url"], timeout=10) as response:
        (row,) = csv.DictReader(io.StringIO(response.read().decode("utf-8"), newline=""))
    assert row["summary"] == "'=cmd|' /C calc'!A0"  # inert in a spreadsheet (OWASP): a leading quote
    assert http.call("POST", "/api/exports/bufdir", Person.new(org), {"period_start": "2026-11-01", "period_end": "2026-11-30"}).status == 403


def test_the_monthly_schedule_runs_with_a_command(http: Http):
    org = f"e2e-{uuid.uuid4().hex[:8]}"
    admin = Person.new(org, email=ADMIN_EMAIL)
    http.call("GET", "/api/users/me", admin)
    env = {**os.environ, "LOCAL_STATE_FILE": str(http.state), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "local", "invoke", "ExportsScheduleFunction"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
    assert org in json.loads(out.stdout)["queued"]
    exports = wait_for(lambda: [e for e in http.call("GET", "/api/exports", admin).body["items"] if e["status"] == "done"])
    assert exports and exports[0]["scheduled"] is True and exports[0]["row_count"] == 0
    again = subprocess.run([sys.executable, "-m", "local", "invoke", "ExportsScheduleFunction"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
    assert org not in json.loads(again.stdout)["queued"] + json.loads(again.stdout)["requeued"]  # done: queued once
    swept = subprocess.run([sys.executable, "-m", "local", "invoke", "ExportsSweepFunction"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True)
    assert set(json.loads(swept.stdout)) == {"redriven", "failed", "waiting"}  # `make export-sweep`, under the function's own IAM policy


def test_past_the_daily_quota_an_organization_gets_429_with_retry_after(http: Http):
    org = f"e2e-{uuid.uuid4().hex[:8]}"
    admin = Person.new(org, email=ADMIN_EMAIL)
    november = {"period_start": "2026-11-01", "period_end": "2026-11-30"}
    for _ in range(EXPORTS_DAILY_QUOTA):  # one at a time: each done before the next is requested
        queued = http.call("POST", "/api/exports/bufdir", admin, november)
        assert queued.status == 202
        assert wait_for(lambda queued=queued: http.call("GET", f"/api/exports/{queued.body['id']}", admin).body["status"] == "done")
    over = http.call("POST", "/api/exports/bufdir", admin, november)
    assert (over.status, over.error["code"], over.rules) == (429, "rate_limited", ["export_daily_quota"])
    assert 1 <= int(over.headers["retry-after"]) <= 24 * 3600
    assert http.call("POST", "/api/exports/bufdir", Person.new(f"e2e-{uuid.uuid4().hex[:8]}", email=ADMIN_EMAIL), november).status == 202
