"""End to end over HTTP through the local runner: JWT checks as API Gateway, and the foundation
routes (user progress, users/me, organization)."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from local.jwt_local import AUDIENCE, ISSUER, mint, secret
from tests.e2e.conftest import ADMIN_EMAIL, Http
from tests.helpers import Person

pytestmark = pytest.mark.e2e


def _token(key: str | None = None, **overrides) -> str:
    claims = {"sub": str(uuid.uuid4()), "email": "x@tests.example", "custom:org_id": "o", "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60, **overrides}
    return jwt.encode(claims, key or secret(), algorithm="HS256")


@pytest.mark.parametrize(
    "token",
    [
        None,
        "not-a-jwt",
        "_bad_signature",
        "_expired",
        "_wrong_audience",
        "_wrong_issuer",
        "_none_algorithm",
    ],
)
def test_requests_without_a_valid_token_are_401_before_any_handler(http: Http, token):
    tokens = {
        "_bad_signature": _token(key="another-secret-that-is-long-enough-to-use"),
        "_expired": _token(exp=int(time.time()) - 5),
        "_wrong_audience": _token(aud="someone-else"),
        "_wrong_issuer": _token(iss="https://evil.example"),
        "_none_algorithm": jwt.encode({"sub": "s", "custom:org_id": "o", "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60}, None, algorithm="none"),
    }
    reply = http.call("GET", "/api/users/me", token=tokens.get(token, token))
    assert (reply.status, reply.body) == (401, {"message": "Unauthorized"}), "API Gateway's JWT authorizer's own body"


def test_unknown_route_is_404(http: Http):
    assert http.call("GET", "/api/nothing-here", Person.new("o")).status == 404


def test_admin_from_admin_emails_and_profile_round_trip(http: Http):
    org = f"e2e-{uuid.uuid4().hex[:8]}"
    admin, member = Person.new(org, email=ADMIN_EMAIL), Person.new(org)
    assert http.call("GET", "/api/users/me", admin).body["role"] == "admin"
    assert http.call("GET", "/api/users/me", member).body["role"] == "member"
    assert http.call("PATCH", "/api/users/me", member, {"name": "Mia", "nivel": "basico"}).body["nivel"] == "basico"
    assert http.call("PATCH", "/api/users/me", member, {"role": "admin"}).rules == ["server_owned_field"]
    assert http.call("PATCH", "/api/users/me", member, {"image": "javascript:alert(1)"}).rules == ["image_https_url"]
    assert http.call("PATCH", "/api/organization", member, {"name": "nope"}).status == 403
    patched = http.call("PATCH", "/api/organization", admin, {"name": "Org", "timezone": "Europe/Berlin"})
    assert patched.status == 200 and http.call("GET", "/api/organization", member).body["timezone"] == "Europe/Berlin"


def test_user_progress_over_http(http: Http):
    me = Person.new(f"e2e-{uuid.uuid4().hex[:8]}", campus_id="c1")
    first = http.call("POST", "/api/user_progress", me, {"data": {"progress_type": "sign_learned", "item_id": " hi ", "score": 2}})
    assert first.status == 200 and first.body["item_id"] == "hi" and first.body["campusId"] == "c1"
    again = http.call("POST", "/api/user_progress", me, {"data": {"progress_type": "sign_learned", "item_id": "hi", "value": "v"}})
    assert again.body["id"] == first.body["id"] and again.body["createdAt"] == first.body["createdAt"]
    listed = http.call("GET", "/api/user_progress?progress_type=sign_learned", me).body
    assert listed["count"] == 1 and listed["rows"][0]["value"] == "v"
    assert http.call("GET", "/api/user_progress", me).rules == ["required"]
    assert http.call("POST", "/api/user_progress", me, raw=b"{not json").error["code"] == "invalid_json"
    assert http.call("DELETE", "/api/user_progress/by-item?progress_type=sign_learned&item_id=hi", me).body == {"deletedCount": 1}


def test_bearer_prefix_is_optional_as_in_api_gateway(http: Http):
    who = Person.new("o-bearer")
    token = mint(who.sub, who.email, who.org_id)
    import json
    import urllib.request

    request = urllib.request.Request(http.url + "/api/users/me", headers={"authorization": token})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["id"] == who.sub


def test_identity_rules_over_http(http: Http):
    """`email` counts only when verified; an email is unique within an organization; a re-created
    account (new sub, same verified email, same organization) signs in as its old profile."""
    org = f"e2e-{uuid.uuid4().hex[:8]}"
    unverified_admin = Person(org, ADMIN_EMAIL, str(uuid.uuid4()), email_verified=False)
    assert http.call("GET", "/api/users/me", unverified_admin).status == 401
    admin = Person.new(org, email=ADMIN_EMAIL)
    assert http.call("GET", "/api/users/me", admin).body["role"] == "admin"
    same_email_elsewhere = Person.new(f"{org}-b", email=ADMIN_EMAIL)
    assert http.call("GET", "/api/users/me", same_email_elsewhere).body["id"] == same_email_elsewhere.sub

    member = Person.new(org)
    assert http.call("PATCH", "/api/users/me", member, {"name": "Mia"}).status == 200
    assert http.call("PATCH", f"/api/users/{member.sub}", admin, {"role": "coordinator"}).status == 200
    recreated = Person(org, member.email, str(uuid.uuid4()))
    me = http.call("GET", "/api/users/me", recreated).body
    assert (me["id"], me["name"], me["role"]) == (member.sub, "Mia", "coordinator")
    assert sorted(u["id"] for u in http.call("GET", "/api/users", admin).body["items"]) == sorted([admin.sub, member.sub])


def test_claims_and_path_ids_outside_the_safe_character_set_over_http(http: Http):
    org = f"e2e-{uuid.uuid4().hex[:8]}"
    sub = str(uuid.uuid4())
    for claims in [(sub, f"{org}#USER#x", None), ("a#b", org, None), (sub, org, "c d"), (sub, "o" * 129, None)]:  # sub, custom:org_id, custom:campus_id
        user_id, org_id, campus_id = claims
        reply = http.call("GET", "/api/users/me", token=mint(user_id, "x@tests.example", org_id, campus_id))
        assert (reply.status, reply.error["code"]) == (401, "unauthorized"), claims
    member = Person.new(org)
    reply = http.call("GET", "/api/activities/a%23b", member)
    assert (reply.status, reply.rules) == (400, ["id_format"])
    assert http.call("GET", "/api/activities?user_id=a%23b", member).rules == ["id_format"]
    # the path reaches the handler percent-decoded, as API Gateway's HTTP APIs pass it: `%40` is a safe `@`
    assert http.call("GET", "/api/activities/someone%40example.org", member).status == 404


def test_values_past_dynamodbs_limits_are_4xx_over_http(http: Http):
    me = Person.new(f"e2e-{uuid.uuid4().hex[:8]}")
    assert http.call("GET", "/api/activities?from=0001-01-01&to=9999-12-31", me).status == 200
    progress = {"progress_type": "sign_learned", "item_id": "x"}
    assert http.call("POST", "/api/user_progress", me, {"data": progress | {"score": 1e-131}}).rules == ["score_out_of_range"]
    assert http.call("POST", "/api/user_progress", me, {"data": progress | {"item_id": "\U0001f600" * 300}}).rules == ["item_id_max_length"]
    assert http.call("POST", "/api/contacts", me, {"name": "\u0390" * 200}).status == 201
    assert http.call("PATCH", "/api/users/me", me, raw=b'{"name": "\\ud800"}').error["code"] == "invalid_json"


def test_cors_and_request_ids_as_api_gateway_sends_them(http: Http):
    """A browser (Expo web) preflights before it sends a token: answered from template.yaml's
    CorsConfiguration, before auth. Every answer carries apigw-requestid; an error's request_id is it."""
    import urllib.request

    from local.template import Stack

    cors = Stack().cors()
    assert cors is not None
    preflight = urllib.request.Request(http.url + "/api/activities", method="OPTIONS", headers={"Origin": "http://localhost:8081", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"})
    with urllib.request.urlopen(preflight, timeout=10) as response:
        assert response.status == 204
        assert response.headers["access-control-allow-origin"] == "*"
        assert set(response.headers["access-control-allow-methods"].split(",")) == set(cors["AllowMethods"])
        assert {"authorization", "content-type", "idempotency-key"} <= set(response.headers["access-control-allow-headers"].split(","))
    who = Person.new(f"e2e-{uuid.uuid4().hex[:8]}")
    refused = http.call("POST", "/api/activities", who, {"activity_type": "nonsense"})
    assert refused.status == 400 and refused.headers["apigw-requestid"] == refused.body["error"]["request_id"]
    ok = http.call("GET", "/api/users/me", who)
    assert ok.status == 200 and len(ok.headers["apigw-requestid"]) == 36


def test_the_contract_is_browsable_at_docs(http: Http):
    """`make local` serves docs/openapi.json rendered (Redoc) at /docs and the file at
    /docs/openapi.json, without a token; the API's routes still need one."""
    import json
    import urllib.request

    from local.contract_docs import REDOC_URL
    from local.openapi import OPENAPI_FILE

    with urllib.request.urlopen(http.url + "/docs", timeout=10) as response:
        assert response.status == 200 and response.headers["content-type"].startswith("text/html")
        page = response.read().decode()
    assert 'spec-url="/docs/openapi.json"' in page and f'src="{REDOC_URL}" integrity="sha384-' in page
    with urllib.request.urlopen(http.url + "/docs/openapi.json", timeout=10) as response:
        assert response.status == 200 and response.headers["content-type"] == "application/json"
        assert json.loads(response.read()) == json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    assert http.call("GET", "/docs/elsewhere").status == 404
    assert http.call("GET", "/api/users/me").status == 401


def test_make_seed_counts_its_summary_from_the_answers_and_its_tokens_last_as_it_says(http: Http, monkeypatch, capsys):
    """`make seed` against a running stack: the summary lines count what the API answered (a seed
    whose admin is not one approves nothing and says what was refused); the printed tokens last
    the hours the seed names."""
    import re

    from local import seed
    from local.jwt_local import LOCAL_TOKEN_TTL_SECONDS

    assert seed.seed(http.url, f"seed-{uuid.uuid4().hex[:8]}") == 0  # the e2e stack's ADMIN_EMAILS does not list admin@demo.example
    out = capsys.readouterr().out
    assert "activities: 5 logged, 0 approved" in out
    assert re.search(r": \d+ requests succeeded, 6 refused \(see above\)\.", out)  # promote, 2 reviews, 2 tasks, export: 403

    monkeypatch.setattr(seed, "DEMO_USERS", [(ADMIN_EMAIL, "Ada Admin"), *seed.DEMO_USERS[1:]])
    assert seed.seed(http.url, f"seed-{uuid.uuid4().hex[:8]}") == 0
    out = capsys.readouterr().out
    assert "activities: 5 logged, 2 approved" in out and re.search(r"Seeded through the API of \S+: \d+ requests succeeded\.\n", out), out
    assert f"Tokens (valid {LOCAL_TOKEN_TTL_SECONDS // 3600} h):" in out
    token = out.rsplit(f"{ADMIN_EMAIL}: ", 1)[1].split()[0]
    claims = jwt.decode(token, secret(), algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER)
    assert claims["exp"] - claims["iat"] == LOCAL_TOKEN_TTL_SECONDS


def test_the_banner_names_the_port_for_make_seed_and_the_contract_page(http: Http):
    port = http.url.rsplit(":", 1)[1]
    banner = http.log.read_text()
    assert f"make seed PORT={port} " in banner and f"{http.url}/docs" in banner
