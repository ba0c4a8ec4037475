"""Query strings read without pydantic (activity_tracker/queries.py): the generated specs follow the
query models, and whatever the fast path accepts, pydantic reads the same; whatever pydantic refuses,
the fast path leaves to it (so its errors answer)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from activity_tracker.api import model_of
from activity_tracker.errors import ValidationFailed
from activity_tracker.models.base import parse
from activity_tracker.queries import fast_params
from activity_tracker.query_specs import SPECS


def test_the_committed_specs_follow_the_query_models():
    from local import query_specs

    assert query_specs.check(), "run `make openapi` and commit layers/shared/activity_tracker/query_specs.py"


def _values(kind: str, low: Any, high: Any, extra: Any) -> list[str]:
    if kind == "int":
        bounds = [str(n) for n in (low, high) if n is not None] + [str(n + d) for n, d in ((low, -1), (high, 1)) if n is not None]
        return [*bounds, "25", "025", "+5", " 5", "5.0", "1_0", "abc", "", "99999999999"]
    if kind == "bool":
        return ["true", "false", "True", "1", "yes", "", "maybe"]
    if kind == "enum":
        return [*extra, "nope", extra[0].upper(), ""]
    if kind == "str":
        lengths = [n for n in (0, 1, low, high, (high or 0) + 1) if n is not None]
        return ["x" * n for n in lengths] + ["2026-01-31", "2026-13-40", "2026-1-1", "2026-01-31\n", "２０２６-０１-３１", "a,b", "é"]
    return ["anything"]


def _cases(spec: dict[str, tuple[Any, ...]]) -> list[dict[str, str]]:
    per_key = {key: _values(*field[1:5]) for key, field in spec.items()}
    required = {key: per_key[key][0] for key, field in spec.items() if field[6]}
    cases = [dict(required), {**required, "unknown": "1"}]
    for key, values in per_key.items():
        cases += [{**required, key: value} for value in values]
    for (a, va), (b, vb) in itertools.combinations([(k, v[0]) for k, v in per_key.items()], 2):
        cases.append({**required, a: va, b: vb})
    return cases + [{k: v for k, v in case.items() if k not in required} for case in cases[:3]]


@pytest.mark.parametrize("ref", sorted(SPECS))
def test_the_fast_path_reads_what_pydantic_reads_and_leaves_it_the_rest(ref: str):
    model = model_of(ref)
    accepted = 0
    for query in _cases(SPECS[ref]):
        fast = fast_params(ref, query)
        try:
            slow = parse(model, query, prefix="query.")
        except ValidationFailed:
            assert fast is None, f"{ref} {query}: pydantic refuses it, the fast path took it: {fast}"
            continue
        if fast is not None:
            accepted += 1
            assert vars(fast) == {name: getattr(slow, name) for name in model.model_fields}, f"{ref} {query}"
    assert accepted, f"{ref}: the fast path took none of the plain queries"
