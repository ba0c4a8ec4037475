"""First sign-in, /api/users/me and inactive users."""

from __future__ import annotations

import threading
import uuid

import pytest

from activity_tracker.repository import organizations, users
from tests.helpers import Api, Person, conflict_transactions


def test_first_request_creates_member_and_organization_with_defaults(api: Api, org_id: str):
    who = Person.new(org_id)
    me = api.call("GET", "/api/users/me", who)
    assert me.status == 200
    assert (me.body["id"], me.body["email"], me.body["role"], me.body["organization_id"]) == (who.sub, who.email, "member", org_id)
    assert (me.body["nivel"], me.body["newsletter"], me.body["active"], me.body["total_classes"]) == ("inicial", "no", True, 0)
    org = api.call("GET", "/api/organization", who).body
    assert org["timezone"] == "Europe/Oslo" and org["is_test_organization"] is False


def test_admin_emails_make_admins_case_insensitively(api: Api, org_id: str):
    assert api.call("GET", "/api/users/me", Person.new(org_id, email="boss@tests.example")).body["role"] == "admin"
    assert api.call("GET", "/api/users/me", Person.new(org_id + "x", email="ADMIN@tests.example")).body["role"] == "admin"


def test_an_email_is_unique_within_an_organization_not_across_them(api: Api, org_id: str):
    first = Person.new(org_id)
    assert api.call("GET", "/api/users/me", first).status == 200
    elsewhere = Person(org_id + "-b", first.email.upper(), str(uuid.uuid4()))
    other = api.call("GET", "/api/users/me", elsewhere)
    assert other.status == 200 and (other.body["id"], other.body["organization_id"], other.body["email"]) == (elsewhere.sub, org_id + "-b", first.email)
    assert api.call("GET", "/api/users/me", first).body["id"] == first.sub  # the first one keeps theirs


def test_an_unverified_email_cannot_sign_in_or_make_an_admin(api: Api, org_id: str):
    for email in ("admin@tests.example", "someone@tests.example"):
        unverified = Person(org_id, email, str(uuid.uuid4()), email_verified=False)
        reply = api.call("GET", "/api/users/me", unverified)
        assert (reply.status, reply.error["code"]) == (401, "unauthorized")
        assert users.get(org_id, unverified.sub) is None
    # once verified, the same account signs in (ADMIN_EMAILS applies to a verified address only)
    verified = Person(org_id, "admin@tests.example", str(uuid.uuid4()))
    assert api.call("GET", "/api/users/me", verified).body["role"] == "admin"
    # an existing user whose token carries an unverified (e.g. pending) email still gets in, unchanged
    pending = Person(org_id, "new-address@tests.example", verified.sub, email_verified=False)
    me = api.call("GET", "/api/users/me", pending)
    assert (me.status, me.body["email"], me.body["role"]) == (200, "admin@tests.example", "admin")


def test_an_unverified_email_does_not_lock_out_its_owner(api: Api, org_id: str):
    squatter = Person(org_id, "owner@tests.example", str(uuid.uuid4()), email_verified=False)
    assert api.call("GET", "/api/users/me", squatter).status == 401
    owner = Person(org_id, "owner@tests.example", str(uuid.uuid4()))
    assert api.call("GET", "/api/users/me", owner).body["id"] == owner.sub


def test_a_recreated_account_takes_over_its_profile_with_role_and_history(api: Api, org_id: str):
    old = Person.new(org_id)
    assert api.call("GET", "/api/users/me", old).status == 200
    users.update_fields(users.get(org_id, old.sub), {"role": "coordinator", "total_classes": 3}, actor="tests")
    contact = api.call("POST", "/api/contacts", old, {"name": "Kari"}).body
    activity = api.call("POST", "/api/activities", old, {"activity_date": "2026-01-05", "activity_type": "meeting", "contact_id": contact["id"]}).body

    recreated = Person(org_id, old.email.upper(), str(uuid.uuid4()))  # new Cognito sub, same verified email
    for _ in range(2):  # the link is written once, then followed
        me = api.call("GET", "/api/users/me", recreated)
        assert me.status == 200
        assert (me.body["id"], me.body["role"], me.body["total_classes"], me.body["email"]) == (old.sub, "coordinator", 3, old.email)
    listed = api.call("GET", "/api/activities", recreated).body["items"]
    assert [a["id"] for a in listed] == [activity["id"]]
    assert [u["id"] for u in api.call("GET", "/api/users", recreated).body["items"]] == [old.sub]
    # the link is no user of its own: it cannot be named as one
    assert api.call("POST", "/api/activities", recreated, {"activity_date": "2026-01-06", "activity_type": "meeting", "user_id": recreated.sub}).status == 404
    assert users.get(org_id, recreated.sub).id == old.sub


def test_a_recreated_account_of_a_deactivated_user_stays_deactivated(api: Api, org_id: str):
    old = Person.new(org_id)
    api.call("GET", "/api/users/me", old)
    users.update_fields(users.get(org_id, old.sub), {"active": False}, actor="tests")
    reply = api.call("GET", "/api/users/me", Person(org_id, old.email, str(uuid.uuid4())))
    assert (reply.status, reply.error["code"]) == (403, "forbidden")


def test_concurrent_first_requests_of_a_recreated_account_link_it_once(api: Api, org_id: str):
    old = Person.new(org_id)
    api.call("GET", "/api/users/me", old)
    recreated = Person(org_id, old.email, str(uuid.uuid4()))
    results: list[tuple[int, str]] = []

    def sign_in() -> None:
        reply = api.call("GET", "/api/users/me", recreated)
        results.append((reply.status, reply.body.get("id", "")))

    threads = [threading.Thread(target=sign_in) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [(200, old.sub)] * 6


def test_a_first_sign_in_that_meets_a_transaction_conflict_is_retried(api: Api, org_id: str, monkeypatch: pytest.MonkeyPatch):
    """DynamoDB cancels a transaction that races another on the same items (the app's parallel
    start-up requests): TransactionConflict. The sign-in tries again instead of answering 500."""
    conflicts = conflict_transactions(monkeypatch, 2)  # the first two transactions are cancelled
    who = Person.new(org_id)
    reply = api.call("GET", "/api/users/me", who)
    assert (reply.status, reply.body["id"]) == (200, who.sub) and conflicts == [0]


def test_a_first_sign_in_conflicting_on_every_attempt_answers_503_with_retry_after(api: Api, org_id: str, monkeypatch: pytest.MonkeyPatch):
    conflict_transactions(monkeypatch, 50)
    who = Person.new(org_id)
    reply = api.call("GET", "/api/users/me", who)
    assert (reply.status, reply.error["code"], reply.headers.get("retry-after")) == (503, "service_unavailable", "1")
    monkeypatch.undo()
    assert api.call("GET", "/api/users/me", who).status == 200, "the same request, sent again, signs in"


def test_concurrent_first_requests_create_one_user_and_one_organization(api: Api, org_id: str):
    people = [Person.new(org_id) for _ in range(6)]
    twin = people[0]
    results: list[int] = []
    threads = [threading.Thread(target=lambda p=p: results.append(api.call("GET", "/api/users/me", p).status)) for p in [*people, twin, twin]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * len(threads)
    assert organizations.get(org_id) is not None
    assert users.get(org_id, twin.sub).email == twin.email


def test_patch_me_changes_only_the_allowed_fields(api: Api, org_id: str):
    who = Person.new(org_id)
    reply = api.call("PATCH", "/api/users/me", who, {"name": "Ola", "nivel": "avanzado", "newsletter": "si", "localidad": "Bergen", "telefono": "+47 1", "image": "https://x/y.png"})
    assert reply.status == 200
    assert {k: reply.body[k] for k in ("name", "nivel", "newsletter", "localidad")} == {"name": "Ola", "nivel": "avanzado", "newsletter": "si", "localidad": "Bergen"}
    assert api.call("GET", "/api/users/me", who).body["name"] == "Ola"
    cleared = api.call("PATCH", "/api/users/me", who, {"localidad": None}).body
    assert cleared["localidad"] is None and cleared["name"] == "Ola"


def test_patch_me_refuses_server_owned_and_invalid_fields(api: Api, org_id: str):
    who = Person.new(org_id)
    for body, rule in [
        ({"role": "admin"}, "server_owned_field"),
        ({"total_classes": 9}, "server_owned_field"),
        ({"nivel": "experto"}, "must_be_one_of"),
        ({"newsletter": None}, "must_be_one_of"),
        ({"name": 5}, "string_type"),
        ({"name": "x" * 201}, "string_too_long"),
        ({"shoe_size": 44}, "unknown_field"),
    ]:
        reply = api.call("PATCH", "/api/users/me", who, body)
        assert (reply.status, reply.rules) == (400, [rule]), body
    assert api.call("GET", "/api/users/me", who).body["role"] == "member"


def test_patch_me_takes_only_an_https_image_url(api: Api, org_id: str):
    who = Person.new(org_id)
    assert api.call("PATCH", "/api/users/me", who, {"image": "https://cdn.example.org/me.png"}).status == 200
    for url in ("javascript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>", "http://cdn.example.org/me.png", "https://cdn.example.org/" + "a" * 2048):
        reply = api.call("PATCH", "/api/users/me", who, {"image": url})
        assert reply.status == 400 and reply.rules in (["image_https_url"], ["string_too_long"]), url
    assert api.call("GET", "/api/users/me", who).body["image"] == "https://cdn.example.org/me.png"
    assert api.call("PATCH", "/api/users/me", who, {"image": None}).body["image"] is None


def test_inactive_user_gets_403_everywhere(api: Api, org_id: str):
    who = Person.new(org_id)
    api.call("GET", "/api/users/me", who)
    users.update_fields(users.get(org_id, who.sub), {"active": False}, actor="tests")
    for method, path, body in [("GET", "/api/users/me", None), ("GET", "/api/organization", None), ("POST", "/api/user_progress", {"data": {"progress_type": "sign_learned", "item_id": "x"}})]:
        reply = api.call(method, path, who, body)
        assert (reply.status, reply.error["code"]) == (403, "forbidden")


def test_token_without_org_or_sub_is_401(api: Api, org_id: str):
    reply = api.call("GET", "/api/users/me", Person(org_id="", email="x@tests.example", sub="s"))
    assert (reply.status, reply.error["code"]) == (401, "unauthorized")
    assert api.call("GET", "/api/users/me", None).status == 401
