"""Lambda event filtering (EventBridge-style patterns) for the event sources of template.yaml."""

from __future__ import annotations

from typing import Any

_MISSING = object()


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """True when `event` satisfies `pattern`: every key must match; a list lists allowed values."""
    for key, expected in pattern.items():
        value = event.get(key, _MISSING) if isinstance(event, dict) else _MISSING
        if isinstance(expected, dict):
            if value is _MISSING or not matches(expected, value):
                return False
        elif isinstance(expected, list):
            if not any(_matches_value(rule, value) for rule in expected):
                return False
        else:
            return False
    return True


def _matches_value(rule: Any, value: Any) -> bool:
    if isinstance(rule, dict):
        (operator, argument), = rule.items()
        if operator == "exists":
            return (value is not _MISSING) == bool(argument)
        if value is _MISSING:
            return False
        if operator == "prefix":
            return isinstance(value, str) and value.startswith(argument)
        if operator == "anything-but":
            excluded = argument if isinstance(argument, list) else [argument]
            return value not in excluded
        return False
    return value is not _MISSING and value == rule
