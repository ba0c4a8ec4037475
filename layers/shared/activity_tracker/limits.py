"""DynamoDB's limits, measured the way DynamoDB measures them: strings in UTF-8 bytes, not characters.

A value that fits a character limit can still break one of these once encoded (a 4-byte emoji),
case-folded (`ΐ` becomes three code points) or JSON-escaped (`é` stored as `\\u00e9`); DynamoDB then
refuses the request, which must be a 4xx with a rule's name, never a 5xx.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

PARTITION_KEY_MAX_BYTES = 2048  # table and GSI partition keys
SORT_KEY_MAX_BYTES = 1024  # table, GSI and LSI sort keys
ITEM_MAX_BYTES = 400 * 1024  # attribute names and values together
NUMBER_MAX_DIGITS = 38  # significant digits
NUMBER_MIN_EXPONENT, NUMBER_MAX_EXPONENT = -130, 125  # magnitudes 1E-130 .. 9.99...E+125 (and 0)


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` that is at most `max_bytes` in UTF-8 (whole characters only)."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", "ignore")


def storable_number(value: int | float) -> bool:
    """Whether DynamoDB can store `value` as a number (as pynamodb sends it: `json.dumps`)."""
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        return False
    if not number.is_finite():
        return False
    if number.is_zero():
        return True
    significant = "".join(map(str, number.as_tuple().digits)).strip("0")  # not normalize(): it rounds to 28 digits
    return len(significant) <= NUMBER_MAX_DIGITS and NUMBER_MIN_EXPONENT <= number.adjusted() <= NUMBER_MAX_EXPONENT


def item_size(attributes: dict[str, Any]) -> int:
    """The size DynamoDB counts for an item given as attribute values (`{"name": {"S": "..."}}`):
    names and values in bytes, numbers about one byte per two digits, containers with their overhead."""
    return sum(utf8_size(name) + _value_size(value) for name, value in attributes.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, raw),) = value.items()
    if kind == "S":
        return utf8_size(raw)
    if kind == "N":
        return len(raw.lstrip("-").replace(".", "")) // 2 + 2
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: element}) for element in raw)
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in raw)
    if kind == "M":
        return 3 + sum(1 + utf8_size(name) + _value_size(element) for name, element in raw.items())
    raise ValueError(f"unknown attribute type {kind}")
