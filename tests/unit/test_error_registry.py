"""errors.py lists every error code and rule the API answers (docs/openapi.json's enums)."""

from __future__ import annotations

import re
from pathlib import Path

from activity_tracker.errors import ERROR_CODES, RULES, DomainError

LAYER = Path(__file__).resolve().parents[2] / "layers" / "shared" / "activity_tracker"
# the ways the code names a rule: PydanticCustomError("rule", ...), {"rule": "..."}, detail/problem(field, "rule", ...),
# rule_violation(field, "rule", ...), and server_owned_rules' values
RULE_LITERALS = [
    re.compile(r'PydanticCustomError\(\s*"([a-z0-9_]+)"'),
    re.compile(r'"rule":\s*"([a-z0-9_]+)"'),
    re.compile(r'\b(?:_?detail|problem)\([^,()]+(?:\([^()]*\))?,\s*"([a-z0-9_]+)"'),
    re.compile(r'rule_violation\([^,()]+(?:\([^()]*\))?,\s*"([a-z0-9_]+)"'),
    re.compile(r'dict\.fromkeys\([A-Z_]+,\s*"([a-z0-9_]+)"\)'),
]
CODE_LITERALS = [re.compile(r'\bcode="([a-z0-9_]+)"'), re.compile(r'status, code = \d+, "([a-z0-9_]+)"'), re.compile(r'"code":\s*"([a-z0-9_]+)"')]


def _found(patterns: list[re.Pattern[str]]) -> dict[str, str]:
    found = {}
    for path in LAYER.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            for name in pattern.findall(text):
                found[name] = str(path.relative_to(LAYER))
    return found


def test_every_rule_the_code_names_is_registered():
    rules = _found(RULE_LITERALS)
    assert len(rules) > 30, "the scan finds the rules"
    missing = {name: where for name, where in rules.items() if name not in RULES}
    assert not missing, f"rules raised but not in errors.RULES (docs/openapi.json's enum): {missing}"


def test_every_error_code_is_registered_with_its_status():
    codes = _found(CODE_LITERALS) | {"suspected_duplicate": "warning"}
    missing = {name: where for name, where in codes.items() if name not in ERROR_CODES and name != "suspected_duplicate"}
    assert not missing, f"error codes not in errors.ERROR_CODES: {missing}"

    def subclasses(cls: type) -> list[type]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    for cls in subclasses(DomainError):
        assert ERROR_CODES[cls.code] == cls.status, cls


def test_the_contract_enumerates_the_registry(stack):
    from local.openapi import generate

    schemas = generate(stack)["components"]["schemas"]
    assert set(schemas["Error"]["properties"]["error"]["properties"]["code"]["enum"]) == set(ERROR_CODES)
    assert set(schemas["ErrorDetail"]["properties"]["rule"]["enum"]) == RULES
    assert "activity_id" in schemas["ErrorDetail"]["properties"]
