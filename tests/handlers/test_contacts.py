"""/api/contacts: any role creates and reads; tenant isolation; cursor pagination."""

from __future__ import annotations

from tests.helpers import Api, Person, make_user


def test_create_get_and_list_contacts(api: Api, org_id: str):
    member = make_user(api, org_id)
    created = api.call("POST", "/api/contacts", member, {"name": " Kari Nordmann ", "notes": "prefers mornings"})
    assert created.status == 201
    assert created.body["name"] == "Kari Nordmann" and created.body["organization_id"] == org_id and created.body["created_by_user_id"] == member.sub
    assert api.call("GET", f"/api/contacts/{created.body['id']}", make_user(api, org_id, "coordinator")).body == created.body


def test_a_name_that_grows_when_case_folded_fits_the_sort_key(api: Api, org_id: str):
    """200 characters fit the limit, but `ΐ` folds to three code points (6 bytes): the name's
    sort key would be 1,237 bytes, over DynamoDB's 1,024."""
    who = make_user(api, org_id)
    long_names = ["\u0390" * 200, "\u0390" * 199 + "a", "\ufb03" * 200]
    for name in [*long_names, "Alfa"]:
        assert api.call("POST", "/api/contacts", who, {"name": name}).status == 201
    listed = [c["name"] for c in api.call("GET", "/api/contacts", who).body["items"]]
    assert listed[0] == "Alfa" and sorted(listed[1:]) == sorted(long_names)


def test_a_cursor_with_a_key_over_dynamodbs_size_is_400(api: Api, org_id: str):
    import base64
    import json

    who = make_user(api, org_id)
    forged = {"pk": "x", "sk": "CONTACT", "gsi2pk": f"ORG#{org_id}#CONTACTS", "gsi2sk": "a" * 1025}
    cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    assert api.call("GET", f"/api/contacts?cursor={cursor}", who).rules == ["cursor_invalid"]


def test_list_is_by_name_with_a_cursor(api: Api, org_id: str):
    who = make_user(api, org_id)
    for name in ["bravo", "Alfa", "charlie"]:
        api.call("POST", "/api/contacts", who, {"name": name})
    first = api.call("GET", "/api/contacts?limit=2", who).body
    assert [c["name"] for c in first["items"]] == ["Alfa", "bravo"] and first["next_cursor"]
    second = api.call("GET", f"/api/contacts?limit=2&cursor={first['next_cursor']}", who).body
    assert [c["name"] for c in second["items"]] == ["charlie"] and second["next_cursor"] is None


def test_contacts_are_tenant_scoped(api: Api, org_id: str):
    theirs = api.call("POST", "/api/contacts", make_user(api, org_id + "-b"), {"name": "Secret"}).body
    outsider = make_user(api, org_id)
    assert api.call("GET", f"/api/contacts/{theirs['id']}", outsider).status == 404
    assert api.call("GET", "/api/contacts", outsider).body == {"items": [], "next_cursor": None}


def test_a_cursor_from_another_organization_is_refused(api: Api, org_id: str):
    other = make_user(api, org_id + "-b")
    for name in ["a", "b"]:
        api.call("POST", "/api/contacts", other, {"name": name})
    cursor = api.call("GET", "/api/contacts?limit=1", other).body["next_cursor"]
    reply = api.call("GET", f"/api/contacts?cursor={cursor}", make_user(api, org_id))
    assert reply.status == 400 and reply.rules == ["cursor_invalid"]
    assert api.call("GET", "/api/contacts?cursor=%%%garbage", Person.new(org_id)).rules == ["cursor_invalid"]


def test_contact_validation(api: Api, org_id: str):
    who = make_user(api, org_id)
    assert api.call("POST", "/api/contacts", who, {"name": "   "}).rules == ["string_too_short"]
    assert api.call("POST", "/api/contacts", who, {}).rules == ["required"]
    assert api.call("POST", "/api/contacts", who, {"name": "x", "id": "mine"}).rules == ["server_owned_field"]
