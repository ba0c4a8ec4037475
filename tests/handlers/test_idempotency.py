"""Idempotency-Key on every POST: one piece of work per key, the first answer replayed."""

from __future__ import annotations

import threading

from tests.helpers import Api, Person, make_user


def _contacts(api: Api, who: Person) -> list[str]:
    return [c["name"] for c in api.call("GET", "/api/contacts?limit=100", who).body["items"]]


def test_a_retried_post_answers_the_first_response_without_doing_it_again(api: Api, org_id: str):
    who = make_user(api, org_id)
    first = api.call("POST", "/api/contacts", who, {"name": "Kari"}, headers={"Idempotency-Key": "k-1"})
    again = api.call("POST", "/api/contacts", who, {"name": "Kari"}, headers={"Idempotency-Key": "k-1"})
    assert first.status == again.status == 201 and again.body == first.body
    assert again.headers.get("idempotent-replayed") == "true" and "idempotent-replayed" not in first.headers
    assert _contacts(api, who) == ["Kari"]


def test_the_same_body_spelled_differently_is_the_same_request(api: Api, org_id: str):
    who = make_user(api, org_id)
    first = api.call("POST", "/api/contacts", who, raw=b'{"name": "Kari", "notes": "x"}', headers={"Idempotency-Key": "k"})
    again = api.call("POST", "/api/contacts", who, raw=b'{"notes":"x","name":"Kari"}', headers={"Idempotency-Key": "k"})
    assert again.body == first.body and _contacts(api, who) == ["Kari"]


def test_a_key_sent_with_another_body_or_route_is_422(api: Api, org_id: str):
    who = make_user(api, org_id)
    assert api.call("POST", "/api/contacts", who, {"name": "Kari"}, headers={"Idempotency-Key": "k"}).status == 201
    other = api.call("POST", "/api/contacts", who, {"name": "Ola"}, headers={"Idempotency-Key": "k"})
    assert other.status == 422 and other.error["code"] == "idempotency_key_reused" and other.rules == ["idempotency_key_reused"]
    progress = api.call("POST", "/api/user_progress", who, {"data": {"progress_type": "sign_learned", "item_id": "a"}}, headers={"Idempotency-Key": "k"})
    assert progress.status == 422
    assert _contacts(api, who) == ["Kari"]


def test_keys_are_scoped_per_user_and_organization(api: Api, org_id: str):
    one, two, elsewhere = make_user(api, org_id), make_user(api, org_id), make_user(api, org_id + "-b")
    for who in (one, two, elsewhere):
        reply = api.call("POST", "/api/contacts", who, {"name": "Kari"}, headers={"Idempotency-Key": "shared"})
        assert reply.status == 201 and "idempotent-replayed" not in reply.headers
    assert _contacts(api, one) == ["Kari", "Kari"]


def test_a_refused_request_is_not_stored_so_a_retry_runs_again(api: Api, org_id: str):
    who = make_user(api, org_id)
    assert api.call("POST", "/api/contacts", who, {"name": ""}, headers={"Idempotency-Key": "k"}).status == 400
    assert api.call("POST", "/api/contacts", who, {"name": ""}, headers={"Idempotency-Key": "k"}).status == 400
    # a 403 (another role may do it later) is not stored either
    body = {"title": "t", "content": "c", "answer": "a", "description": "d", "type": "exam", "difficulty": "easy"}
    assert api.call("POST", "/api/tasks", who, body, headers={"Idempotency-Key": "t"}).status == 403


def _claim_as_another_request(who: Person, key: str) -> None:
    """Claim `key` as a request for POST /api/contacts that is still running (or died)."""
    from activity_tracker.api import caller_from_event
    from activity_tracker.idempotency import IdempotentRequest
    from local.events import http_event

    event = http_event("POST", "POST /api/contacts", "/api/contacts", "", {"idempotency-key": key}, b'{"name":"Kari"}', who.claims, None)
    request = IdempotentRequest.of(event)
    assert request is not None and request.claim(caller_from_event(event)) is None


def test_a_key_in_progress_is_409_and_a_dead_claim_is_taken_over(api: Api, org_id: str, monkeypatch):
    from activity_tracker import idempotency

    who = make_user(api, org_id)
    _claim_as_another_request(who, "running")
    busy = api.call("POST", "/api/contacts", who, {"name": "Kari"}, headers={"Idempotency-Key": "running"})
    assert busy.status == 409 and busy.rules == ["idempotency_key_in_progress"] and busy.headers["retry-after"] == "1"
    assert _contacts(api, who) == []
    with monkeypatch.context() as patch:
        patch.setattr(idempotency, "LOCK_SECONDS", -1)  # a claim whose holder died: its lock has run out
        _claim_as_another_request(who, "died")
    assert api.call("POST", "/api/contacts", who, {"name": "Kari"}, headers={"Idempotency-Key": "died"}).status == 201


def test_concurrent_duplicates_do_the_work_once(api: Api, org_id: str):
    who = make_user(api, org_id)
    replies = []

    def send() -> None:
        replies.append(api.call("POST", "/api/contacts", who, {"name": "Kari"}, headers={"Idempotency-Key": "race"}))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted({r.status for r in replies}) in ([201], [201, 409])
    assert len({r.body["id"] for r in replies if r.status == 201}) == 1
    assert _contacts(api, who) == ["Kari"]


def test_a_bad_key_is_400(api: Api, org_id: str):
    reply = api.call("POST", "/api/contacts", make_user(api, org_id), {"name": "Kari"}, headers={"Idempotency-Key": "x" * 256})
    assert reply.status == 400 and reply.rules == ["idempotency_key_format"]


def test_get_ignores_the_header(api: Api, org_id: str):
    who = make_user(api, org_id)
    assert api.call("GET", "/api/contacts", who, headers={"Idempotency-Key": "x" * 300}).status == 200
