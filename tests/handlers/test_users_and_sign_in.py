"""First sign-in, /api/users/me and inactive users."""

from __future__ import annotations

import threading

from activity_tracker.repository import organizations, users
from tests.helpers import Api, Person


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


def test_email_is_unique_across_the_system(api: Api, org_id: str):
    first = Person.new(org_id)
    assert api.call("GET", "/api/users/me", first).status == 200
    same_email_elsewhere = Person(org_id + "-b", first.email.upper(), "another-sub")
    reply = api.call("GET", "/api/users/me", same_email_elsewhere)
    assert reply.status == 409 and reply.error["code"] == "conflict"


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


def test_inactive_user_gets_403_everywhere(api: Api, org_id: str):
    who = Person.new(org_id)
    api.call("GET", "/api/users/me", who)
    users.update_fields(users.get(org_id, who.sub), {"active": False})
    for method, path, body in [("GET", "/api/users/me", None), ("GET", "/api/organization", None), ("POST", "/api/user_progress", {"data": {"progress_type": "sign_learned", "item_id": "x"}})]:
        reply = api.call(method, path, who, body)
        assert (reply.status, reply.error["code"]) == (403, "forbidden")


def test_token_without_org_or_sub_is_401(api: Api, org_id: str):
    reply = api.call("GET", "/api/users/me", Person(org_id="", email="x@tests.example", sub="s"))
    assert (reply.status, reply.error["code"]) == (401, "unauthorized")
    assert api.call("GET", "/api/users/me", None).status == 401
