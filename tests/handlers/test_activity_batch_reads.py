"""What offline sync and bulk registration read: the organization and the items' local_id guards
once for the whole batch, never again per item (each item is one transaction; a local_id claimed
meanwhile by someone else still fails that transaction's guard)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from tests.helpers import Api, make_user

SYNC, BULK = "/api/activities/sync", "/api/activities/bulk"


@contextmanager
def calls(monkeypatch) -> Iterator[Counter[str]]:  # type: ignore[no-untyped-def]
    import botocore.client

    seen: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def spy(self, operation, params):  # type: ignore[no-untyped-def]
        seen[operation] += 1
        return original(self, operation, params)

    with monkeypatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
        yield seen


def test_a_sync_of_new_items_reads_once_for_the_batch(api: Api, org_id: str, monkeypatch):
    member = make_user(api, org_id)
    items = [{"activity_date": f"2026-10-{n + 1:02d}", "activity_type": "meeting", "local_id": f"phone-{n}"} for n in range(5)]
    with calls(monkeypatch) as seen:
        results = api.call("POST", SYNC, member, {"items": items}).body["results"]
    assert [r["outcome"] for r in results] == ["created"] * 5
    assert seen == {"GetItem": 1, "BatchGetItem": 2, "TransactWriteItems": 5}  # caller; guards, organization; one write per item


def test_a_bulk_registration_reads_the_organization_once(api: Api, org_id: str, monkeypatch):
    coordinator = make_user(api, org_id, "coordinator")
    users = [make_user(api, org_id).sub for _ in range(3)]
    with calls(monkeypatch) as seen:
        results = api.call("POST", BULK, coordinator, {"user_ids": users, "activity": {"activity_date": "2026-10-01", "activity_type": "meeting"}}).body["results"]
    assert [r["outcome"] for r in results] == ["created"] * 3
    assert seen == {"GetItem": 1, "BatchGetItem": 2, "TransactWriteItems": 3}  # caller; users, organization; one write per user


def test_a_local_id_claimed_after_the_batch_read_it_returns_the_stored_record(api: Api, org_id: str, monkeypatch):
    """The batch found the local_id free; a concurrent create claims it before the batch's write."""
    from activity_tracker.logic import activities

    member = make_user(api, org_id)
    body = {"activity_date": "2026-10-01", "activity_type": "meeting", "local_id": "raced"}
    original, claimed = activities._organization_or_none, threading.Event()

    def organization_then_a_concurrent_create(org: str):  # type: ignore[no-untyped-def]
        if not claimed.is_set():
            claimed.set()
            assert api.call("POST", "/api/activities", member, body).status == 201
        return original(org)

    monkeypatch.setattr(activities, "_organization_or_none", organization_then_a_concurrent_create)
    (result,) = api.call("POST", SYNC, member, {"items": [body]}).body["results"]
    stored = api.call("GET", "/api/activities", member).body["items"]
    assert result["outcome"] == "existing" and [a["id"] for a in stored] == [result["activity"]["id"]]
