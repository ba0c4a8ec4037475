"""Query strings read without pydantic when they are plainly valid.

A query model (pydantic, `models/`) defines what a route's query accepts. Loading pydantic costs a
cold start about 65 ms of CPU (docs/benchmarks.md), so the request wiring first tries this fast
path, which reads query_specs.py (generated from the models by `make openapi`) and accepts only
values whose meaning is beyond doubt: known keys, integers written plainly within their bounds,
`true`/`false`, one of an enum's values, strings within their lengths (and pattern, printable ASCII
only). It gives the same values pydantic would, as a plain record; anything else (a bad value, an
unknown key, a field a custom validator checks) returns None, and pydantic decides, with its errors.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from activity_tracker.query_specs import SPECS


def fast_params(ref: Any, query: dict[str, str]) -> SimpleNamespace | None:
    spec = SPECS.get(ref) if isinstance(ref, str) else None
    if spec is None or not set(query) <= set(spec):
        return None
    values: dict[str, Any] = {}
    for key, (attribute, kind, low, high, extra, default, required, checked) in spec.items():
        raw = query.get(key)
        if raw is None:
            if required:
                return None
            values[attribute] = default
            continue
        if checked:
            return None
        value = _value(raw, kind, low, high, extra)
        if value is _REFUSED:
            return None
        values[attribute] = value
    return SimpleNamespace(**values)


_REFUSED = object()


def _value(raw: str, kind: str, low: Any, high: Any, extra: Any) -> Any:
    if kind == "int":
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or (len(raw) > 1 and raw[0] == "0"):
            return _REFUSED
        number = int(raw)
        return _REFUSED if (low is not None and number < low) or (high is not None and number > high) else number
    if kind == "bool":
        return {"true": True, "false": False}.get(raw, _REFUSED)
    if kind == "enum":
        return raw if raw in extra else _REFUSED
    if kind == "str":
        if (low is not None and len(raw) < low) or (high is not None and len(raw) > high):
            return _REFUSED
        if extra is not None and not (raw.isascii() and raw.isprintable() and re.search(extra, raw)):
            return _REFUSED
        return raw
    return _REFUSED
