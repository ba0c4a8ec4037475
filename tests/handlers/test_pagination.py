"""Cursor pagination: every list asked for no filter reads exactly its page, one Query whose Limit is
the page size (filters read pages of 100 until the page is full)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import Api, Person, make_user, record_aws_calls
from tests.stream_helpers import run_jobs


def _later(days: int) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _three_of_each(api: Api, admin: Person) -> None:
    for n in range(3):
        assert api.call("POST", "/api/contacts", admin, {"name": f"Contact {n}"}).status == 201
        assert api.call("POST", "/api/tasks", admin, {"title": f"Task {n}", "type": "reading", "difficulty": "easy"}).status == 201
        assert api.call("POST", "/api/classes", admin, {"class_type": "grupal", "max_participants": 5, "scheduled_at": _later(n + 1)}).status == 201
        assert api.call("POST", "/api/exports/bufdir", admin, {"period_start": "2026-01-01", "period_end": "2026-01-31"}).status == 202
        run_jobs(api, admin.org_id, "EXPORT")  # done: one export at a time per organization
        assert api.call("POST", "/api/activities", admin, {"activity_date": f"2026-10-0{n + 1}", "activity_type": "meeting"}).status == 201
        make_user(api, admin.org_id)


@pytest.mark.parametrize("path", ["/api/activities", "/api/contacts", "/api/users", "/api/tasks", "/api/classes", "/api/exports", "/api/user-activities"])
def test_a_list_without_filters_reads_exactly_its_page(api: Api, org_id: str, path: str, monkeypatch):

    admin = make_user(api, org_id, "admin")
    _three_of_each(api, admin)
    calls = record_aws_calls(monkeypatch)
    page = api.call("GET", f"{path}?limit=2", admin).body

    assert len(page["items"]) == 2 and page["next_cursor"]
    ((params, result),) = [(params, result) for operation, params, result in calls if operation == "Query"]
    assert params["Limit"] == 2 and result["ScannedCount"] == 2
