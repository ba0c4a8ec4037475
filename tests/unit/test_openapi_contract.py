"""docs/openapi.json is generated from the code (`make openapi`); these fail when it drifts."""

from __future__ import annotations

import json

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
    assert error["required"] == ["code", "message", "details"]
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
