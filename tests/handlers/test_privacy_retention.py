"""Retention: an organization's `retention.free_text_years`, applied by the daily schedule to the
free text of activities dated before the cut-off (summary, rejection reason, reports); nothing else
moves, and without the setting nothing is removed. A run is recorded, idempotent and resumable."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.handlers.test_privacy_erasure import drain, scan_text
from tests.helpers import Api, make_user
from tests.stream_helpers import counters, expected_counters

SCHEDULE = "RetentionScheduleFunction"


def run_schedule(api: Api) -> dict:
    function = next(f for f in api.stack.functions if f.logical_id == SCHEDULE)
    return api.handlers.invoke(function, {"source": "aws.scheduler", "detail": {}})


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ({"retention": {"free_text_years": 0}}, "retention_years_in_range"),
        ({"retention": {"free_text_years": 101}}, "retention_years_in_range"),
        ({"retention": {"free_text_years": "five"}}, "int_parsing"),
        ({"retention": {"keep": 5}}, "unknown_field"),
    ],
)
def test_the_setting_is_validated(api: Api, org_id: str, body, rule):
    reply = api.call("PATCH", "/api/organization", make_user(api, org_id, "admin"), body)
    assert reply.status == 400 and rule in reply.rules, reply.body


def old_and_new(api: Api, org_id: str) -> tuple[list[str], list[str], dict]:
    """Activities of three and of one year ago, with text; returns (old texts, new texts, ids)."""
    admin, mentor = make_user(api, org_id, "admin"), make_user(api, org_id)
    tag, today = uuid.uuid4().hex[:6], dt.date.today()
    old_day, new_day = today.replace(year=today.year - 3).isoformat(), today.replace(year=today.year - 1).isoformat()
    old, new = [], []
    for day, texts in ((old_day, old), (new_day, new)):
        summary = f"summary {day} {tag}"
        visit = api.call("POST", "/api/activities", mentor, {"activity_date": day, "activity_type": "home_visit", "summary": summary}).body
        report = f"report {day} {tag}"
        api.call("POST", f"/api/activities/{visit['id']}/home-visit-report", mentor, {"content": report})
        api.call("POST", f"/api/activities/{visit['id']}/review", admin, {"action": "approve"})
        texts += [summary, report]
    drain(api, org_id)
    return old, new, {"admin": admin, "year": int(old_day[:4])}


def test_without_the_setting_nothing_is_removed(api: Api, org_id: str):
    old, new, _ = old_and_new(api, org_id)
    assert org_id not in run_schedule(api)["runs"]
    text = scan_text()
    assert all(t in text for t in old + new)


def test_free_text_older_than_the_setting_goes_and_every_figure_stays(api: Api, org_id: str):
    old, new, ctx = old_and_new(api, org_id)
    admin = ctx["admin"]
    stats_before = api.call("GET", f"/api/stats/organization?year={ctx['year']}", admin).body
    assert api.call("PATCH", "/api/organization", admin, {"retention": {"free_text_years": 2}}).body["retention"] == {"free_text_years": 2}
    assert run_schedule(api)["runs"][org_id] == "done"
    drain(api, org_id)
    text = scan_text()
    assert [t for t in old if t in text] == [] and all(t in text for t in new)
    assert api.call("GET", f"/api/stats/organization?year={ctx['year']}", admin).body == stats_before
    assert counters(org_id) == expected_counters(org_id)
    again = run_schedule(api)["runs"]  # once a day: today's run is done
    assert org_id not in again


def test_a_run_cut_short_is_continued_by_the_next_invocation(api: Api, org_id: str, monkeypatch: pytest.MonkeyPatch):
    from activity_tracker.privacy import jobs, retention, text

    old, _, ctx = old_and_new(api, org_id)
    api.call("PATCH", "/api/organization", ctx["admin"], {"retention": {"free_text_years": 2}})
    real = text.remove_activity_text
    monkeypatch.setattr(retention, "remove_activity_text", lambda org, activity: (_ for _ in ()).throw(RuntimeError("died")))
    assert run_schedule(api)["runs"][org_id] == "failed"
    assert all(t in scan_text() for t in old)
    monkeypatch.setattr(retention, "remove_activity_text", real)
    assert run_schedule(api)["runs"][org_id] == "done"  # the same day's run, queued again from its place
    run = jobs.JobItem.get(f"ORG#{org_id}#RETENTION#{dt.datetime.now(dt.UTC).date().isoformat()}", "RETENTION")
    assert run.status == "done" and run.counts == {"activities": 1, "reports": 1} and run.settings["free_text_years"] == 2
    assert [t for t in old if t in scan_text()] == []
