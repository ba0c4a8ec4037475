"""docs/openapi.json is generated from the code (`make openapi`); these fail when it drifts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from local.openapi import OPENAPI_FILE, generate, render
from local.template import Stack

HINT = "docs/openapi.json differs from the code: run `make openapi` and commit docs/openapi.json."


@pytest.fixture(scope="module")
def generated(stack: Stack) -> dict:
    return generate(stack)


@pytest.fixture(scope="module")
def committed() -> dict:
    assert OPENAPI_FILE.exists(), HINT
    return json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))


def _operations(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}


def test_every_template_route_is_in_the_committed_contract_and_nothing_else(stack: Stack, committed: dict):
    in_template = {(route.method, route.path) for route, _ in stack.routes()}
    in_file = _operations(committed)
    assert not in_template - in_file, f"routes of template.yaml missing from docs/openapi.json: {sorted(in_template - in_file)}. {HINT}"
    assert not in_file - in_template, f"operations of docs/openapi.json that template.yaml does not serve: {sorted(in_file - in_template)}. {HINT}"


def test_committed_contract_is_what_the_code_generates(generated: dict):
    assert OPENAPI_FILE.read_text(encoding="utf-8") == render(generated), HINT


def test_contract_is_a_valid_openapi_31_document(generated: dict):
    import re

    from jsonschema import Draft202012Validator

    assert generated["openapi"] == "3.1.0"
    for schema in generated["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    ids = [op["operationId"] for ops in generated["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)), "operationIds are unique"
    for path, ops in generated["paths"].items():
        for method, op in ops.items():
            assert op["operationId"], (method, path)
            assert {"400", "401", "403", "404", "409", "413"} <= set(op["responses"]), (method, path)
            assert any(code.startswith("2") for code in op["responses"]), f"{method} {path} has no success response"
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"\{(\w+)\}", path)), (method, path)
            for param in op.get("parameters", []):
                assert "null" not in json.dumps(param["schema"]), f"{method} {path}: a query value is never JSON null"


def test_generation_is_deterministic(stack: Stack, generated: dict):
    assert render(generate(stack)) == render(generated)


def test_endpoint_metadata_reaches_the_contract(generated: dict):
    me = generated["paths"]["/api/users/me"]
    assert me["patch"]["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/MePatch"}
    assert me["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/UserOut"}
    assert generated["components"]["schemas"]["MePatch"]["additionalProperties"] is False  # unknown fields answer 400
    listing = {p["name"]: p for p in generated["paths"]["/api/user_progress"]["get"]["parameters"]}
    assert listing["progress_type"]["required"] is True and listing["limit"]["schema"]["maximum"] == 100
    error = generated["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message", "details", "request_id"]
    assert generated["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_other_success_statuses_and_links_are_documented(generated: dict):
    create = generated["paths"]["/api/activities"]["post"]["responses"]
    assert {"200", "201"} <= set(create), "endpoint(responses={200: ...}) documents the idempotent create"
    assert generated["paths"]["/api/activities/{id}"]["delete"]["responses"]["204"] == {"description": "Done; no body."}
    links = create["201"]["links"]
    assert links["ActivitiesGet"] == {"operationId": "ActivitiesGet", "parameters": {"id": "$response.body#/id"}}


def test_openapi_check_command_reports_drift(tmp_path, monkeypatch):
    import local.openapi as openapi

    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n")
    monkeypatch.setattr(openapi, "OPENAPI_FILE", stale)
    assert openapi.main(check_only=True) == 1
    openapi.write(stale)
    assert openapi.main(check_only=True) == 0


def test_every_route_declares_a_response_model_for_each_success_status_with_a_body(stack: Stack):
    from activity_tracker.models.base import ResponseModel
    from local.runner import Handlers

    handlers, missing = Handlers(stack), []
    for route, function in stack.routes():
        handler = handlers.get(function)
        for status, model in {handler.status: handler.response, **handler.responses}.items():
            assert 200 <= status < 300, f"{route.method} {route.path}: {status} is not a success status"
            if status == 204:
                assert model is None, f"{route.method} {route.path}: a 204 has no body"
            elif "response" in getattr(handler, "media_types", {}):
                assert model is None, f"{route.method} {route.path}: answers {handler.media_types['response']}, not a model"
            elif not (isinstance(model, type) and issubclass(model, ResponseModel)):
                missing.append(f"{route.method} {route.path} {status}")
    assert not missing, f"success statuses with a body but no ResponseModel: {missing}"


def test_committed_contract_describes_every_success_body(committed: dict):
    assert "Not yet described" not in OPENAPI_FILE.read_text(encoding="utf-8")
    for path, ops in committed["paths"].items():
        for method, op in ops.items():
            for code, response in op["responses"].items():
                if code.startswith("2") and code != "204":
                    if "application/json" not in response["content"]:  # a calendar (text/calendar): text, no model
                        assert set(response["content"]) == {"text/calendar"}, f"{method.upper()} {path} {code}: {response['content']}"
                        continue
                    schema = response["content"]["application/json"]["schema"]
                    assert set(schema) == {"$ref"}, f"{method.upper()} {path} {code} is not described by a response model: {schema}"
                    assert committed["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]["additionalProperties"] is False


def test_the_success_body_check_fails_on_a_body_its_model_does_not_describe(stack: Stack):
    """The check every handler and e2e call runs (tests/helpers.py) is strict: these must fail."""
    from types import SimpleNamespace

    from pydantic import BaseModel, ConfigDict

    from activity_tracker.models.base import ResponseModel
    from local.runner import Handlers
    from tests.helpers import check_success_body

    get_contact = Handlers(stack).get(next(fn for route, fn in stack.routes() if (route.method, route.path) == ("GET", "/api/contacts/{id}")))
    contact = {"id": "c1", "organization_id": "o1", "name": "Kari", "notes": None, "created_by_user_id": "u1", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "version": 1}
    check_success_body(get_contact, 200, json.dumps(contact), "GET /api/contacts/{id}")  # the real shape passes

    def fails(handler, status, body, match):
        with pytest.raises(AssertionError, match=match):
            check_success_body(handler, status, body if body is None else json.dumps(body), "fake")

    fails(get_contact, 200, {**contact, "phone": "123"}, "phone")  # an unknown field
    fails(get_contact, 200, {k: v for k, v in contact.items() if k != "name"}, "name")  # a missing required field
    fails(get_contact, 200, {**contact, "notes": 7}, "notes")  # a wrong type
    fails(get_contact, 201, contact, "does not declare")  # an undeclared success status
    fails(get_contact, 200, None, "without a body")  # no body where a model is declared

    class Loose(BaseModel):  # a nested model that would let extras and coercion through on its own
        model_config = ConfigDict(extra="allow")
        count: int

    class Wrapper(ResponseModel):
        inner: Loose

    fake = SimpleNamespace(status=200, response=Wrapper, responses={202: None, 204: None})
    check_success_body(fake, 200, json.dumps({"inner": {"count": 1}}), "fake")
    check_success_body(fake, 204, "", "fake")
    fails(fake, 200, {"inner": {"count": 1, "extra": True}}, "extra")  # strict-extra reaches nested models
    fails(fake, 200, {"inner": {"count": "1"}}, "count")  # no "1" → 1 coercion
    fails(fake, 202, {"id": "x"}, "no response model")  # a body with no declared model


def _property_schemas(schema: dict, where: str):
    """Every property schema (recursively, through arrays and anyOf) of a component schema."""
    for name, prop in (schema.get("properties") or {}).items():
        yield f"{where}.{name}", prop
        yield from _property_schemas(prop, f"{where}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _property_schemas(schema[key], f"{where}[]")
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        yield from _property_schemas(option, where)


def _admits_null(schema: dict) -> bool:
    return schema.get("type") == "null" or "null" in (schema.get("type") or []) or any(_admits_null(o) for o in schema.get("anyOf", []) + schema.get("oneOf", []))


def test_every_field_has_a_type_and_no_default(generated: dict):
    """A generated client types every field (no `Any`, no `{}`), and no field carries a `default`:
    openapi-typescript makes a field with a default required, and `default: null` on a field that
    refuses null is a lie. A default the server applies is said in the description."""
    untyped, defaulted = [], []
    for model, schema in generated["components"]["schemas"].items():
        for where, prop in _property_schemas(schema, model):
            if not (prop.keys() & {"type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const"}):
                untyped.append(where)
            if "default" in prop:
                defaulted.append(where)
    for path, ops in generated["paths"].items():
        for method, op in ops.items():
            for param in op.get("parameters", []):
                if "default" in param["schema"]:
                    defaulted.append(f"{method.upper()} {path} ?{param['name']}")
    assert not untyped, f"fields without a type: {untyped}"
    assert not defaulted, f"fields with a default: {defaulted}"


def test_activity_requests_are_typed_as_the_validation_enforces_them(generated: dict):
    from activity_tracker.models.activity import MAX_DURATION_MINUTES, MAX_PARTICIPANTS
    from activity_tracker.vocabulary import ACTIVITY_TYPES

    schemas = generated["components"]["schemas"]
    for model in ("ActivityCreate", "ActivityPatch"):
        props = schemas[model]["properties"]
        assert props["activity_type"]["enum"] == list(ACTIVITY_TYPES), model
        assert (props["duration_minutes"]["type"], props["duration_minutes"]["minimum"], props["duration_minutes"]["maximum"]) == ("integer", 1, MAX_DURATION_MINUTES)
        assert props["participant_count"]["anyOf"] == [{"type": "integer", "minimum": 2, "maximum": MAX_PARTICIPANTS}, {"type": "null"}]
        assert not _admits_null(props["is_group_activity"]) and not _admits_null(props["activity_date"]), f"{model}: null is refused"
        assert {o["format"] for o in props["activity_date"]["anyOf"]} == {"date", "date-time"}
    # a sync item and a bulk activity are the named models (one type in a generated client), not inline copies
    assert schemas["SyncRequest"]["properties"]["items"]["items"] == {"$ref": "#/components/schemas/ActivityCreate"}
    assert schemas["ActivityCreate"]["required"] == ["activity_date", "activity_type"] and schemas["ActivityCreate"]["additionalProperties"] is False
    assert schemas["BulkRequest"]["properties"]["activity"] == {"$ref": "#/components/schemas/BulkActivity"}
    assert schemas["BulkActivity"]["properties"]["activity_type"]["enum"] == list(ACTIVITY_TYPES)
    assert schemas["ContactCreate"]["required"] == ["name"] and schemas["ActivityReview"]["required"] == ["action"]


@pytest.mark.parametrize(
    ("model", "body", "valid"),
    [
        ("ActivityCreate", {"is_group_activity": True, "participant_count": 2}, True),
        ("ActivityCreate", {"is_group_activity": True}, False),
        ("ActivityCreate", {"is_group_activity": True, "participant_count": None}, False),
        ("ActivityCreate", {"participant_count": 3}, False),
        ("ActivityCreate", {"is_group_activity": False, "participant_count": 3}, False),
        ("ActivityCreate", {"is_group_activity": False, "participant_count": None}, True),
        ("ActivityCreate", {"participant_count": 1, "is_group_activity": True}, False),
        ("ActivityCreate", {"registration_mode": "wizard", "summary": " \t"}, False),
        ("ActivityCreate", {"registration_mode": "wizard"}, False),
        ("ActivityCreate", {"registration_mode": "wizard", "summary": "Visit"}, True),
        ("ActivityCreate", {"registration_mode": "quick", "summary": " "}, True),
        ("BulkActivity", {"is_group_activity": True}, False),
        ("BulkActivity", {"registration_mode": "wizard", "summary": ""}, False),
        ("ActivityPatch", {"participant_count": 2}, True),  # the stored activity decides
        ("ActivityPatch", {"is_group_activity": True}, True),
        ("ActivityPatch", {"is_group_activity": True, "participant_count": None}, False),
        ("ActivityPatch", {"is_group_activity": False, "participant_count": 2}, False),
        ("ActivityPatch", {"is_group_activity": False, "participant_count": None}, True),
        ("ActivityPatch", {"participant_count": 0}, False),
    ],
)
def test_activity_rules_json_schema_can_state_are_stated_as_the_api_checks_them(generated: dict, model: str, body: dict, valid: bool):
    """group_activity_requires_participant_count and summary_required_for_wizard_registration, where a body
    alone decides them, so a generated client or fuzzer sends what the API takes (the API's side: rules.validate)."""
    from jsonschema import Draft202012Validator

    from activity_tracker.errors import ValidationFailed
    from activity_tracker.rules.activities import ActivityMoment, validate

    schema = dict(generated["components"]["schemas"][model])
    base = {"activity_date": "2026-01-05", "activity_type": "meeting"} if model != "ActivityPatch" else {}
    assert Draft202012Validator(schema).is_valid({**base, **body}) is valid
    if model != "ActivityPatch":  # the API agrees on a new activity (defaults: not a group, quick)
        state = {"is_group_activity": False, "participant_count": None, "registration_mode": "quick", **body}
        moment = ActivityMoment("2026-01-05T00:00:00.000Z", "2026-01-05", datetime(2026, 1, 5, tzinfo=UTC))
        try:
            validate(state, moment, datetime(2026, 2, 1, tzinfo=UTC))
            accepted = True
        except ValidationFailed:
            accepted = False
        assert accepted is valid


def test_dates_and_timestamps_carry_their_format(generated: dict):
    missing = []
    for model, schema in generated["components"]["schemas"].items():
        for where, prop in _property_schemas(schema, model):
            name = where.rsplit(".", 1)[-1]
            if name.endswith(("_at", "At", "_date", "period_start", "period_end")):
                formats = {o.get("format") for o in [prop, *prop.get("anyOf", [])]} - {None}
                if not formats:
                    missing.append(where)
    assert not missing, f"dates and timestamps without format date/date-time: {missing}"


def test_the_typed_schemas_keep_the_validation_rule_names():
    """The schema is typed, the validation still answers the rule names of API.md."""
    from activity_tracker.errors import ValidationFailed
    from activity_tracker.models.activity import ActivityCreate, BulkRequest, SyncRequest
    from activity_tracker.models.base import parse

    def rules(model, body):
        with pytest.raises(ValidationFailed) as raised:
            parse(model, body)
        return {d["field"]: d["rule"] for d in raised.value.details}

    bad = {"activity_date": "2026-01-05", "activity_type": "dance", "duration_minutes": 0, "participant_count": "2"}
    assert rules(ActivityCreate, bad) == {"activity_type": "activity_type_valid_enum", "duration_minutes": "duration_positive_integer", "participant_count": "group_activity_requires_participant_count"}
    assert rules(BulkRequest, {"user_ids": ["u1"], "activity": []}) == {"activity": "dict_type"}
    assert parse(SyncRequest, {"items": [1, {"x": 2}]}).items == [1, {"x": 2}]  # each item is validated on its own, later


def test_retention_years_are_stated_in_the_range_the_patch_takes(generated: dict):
    from jsonschema import Draft202012Validator

    from activity_tracker.errors import ValidationFailed
    from activity_tracker.models.base import parse
    from activity_tracker.models.organization import OrganizationPatch

    schema = generated["components"]["schemas"]["RetentionSettings"]
    for years in (0, 1, 100, 101, None):
        try:
            parse(OrganizationPatch, {"retention": {"free_text_years": years}})
            accepted = True
        except ValidationFailed:
            accepted = False
        assert Draft202012Validator(schema).is_valid({"free_text_years": years}) is accepted, years
