"""Cursor pagination over a Query: `{"items": [...], "next_cursor": <opaque> | null}`.

The cursor is the key of the last item returned (table keys plus the index keys), base64url
JSON. A cursor is checked against the partition being read and the sort-key range the request
reads (its `from`/`to`, a prefix), and its values against DynamoDB's key sizes, so a forged or
stale one (say, from the same list with other dates) answers 400 `cursor_invalid`, never another
partition's items and never a 5xx (DynamoDB refuses a start key outside the key condition).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from activity_tracker.errors import ValidationFailed, rule_violation
from activity_tracker.limits import PARTITION_KEY_MAX_BYTES, SORT_KEY_MAX_BYTES


@dataclass(frozen=True)
class SortRange:
    """The sort keys a Query reads: from `low` to `high` (inclusive, either open), or a prefix.
    One object builds the key condition and checks that a cursor lies inside it."""

    low: str | None = None
    high: str | None = None
    prefix: str | None = None

    def condition(self, attribute: Any) -> Any:
        if self.prefix is not None:
            return attribute.startswith(self.prefix)
        if self.low is not None and self.high is not None:
            return attribute.between(self.low, self.high)
        if self.low is not None:
            return attribute >= self.low
        if self.high is not None:
            return attribute <= self.high
        return None

    def contains(self, value: str) -> bool:
        if self.prefix is not None and not value.startswith(self.prefix):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


def check_date_range(first: str | None, last: str | None) -> None:
    """400 `date_range_valid` when a list's `from` is after its `to` (both inclusive)."""
    if first and last and first > last:
        raise ValidationFailed("The request is not valid.", [{"field": "query.from", "rule": "date_range_valid", "message": "from must not be after to"}])


def encode_cursor(key: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":"), sort_keys=True).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, key_names: tuple[str, ...], partition: tuple[str, str], sort: tuple[str, SortRange] | None = None) -> dict[str, str] | None:
    """The ExclusiveStartKey named by `cursor`, which must hold exactly `key_names` (`...pk` and
    `...sk` attributes, each within DynamoDB's key size), lie in `partition` (name, value) — the
    partition this request reads — and, with `sort` (name, range), in the range it reads."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        key = None
    valid = isinstance(key, dict) and set(key) == set(key_names) and all(isinstance(v, str) and v and _fits_key(k, v) for k, v in key.items())
    if not valid or key.get(partition[0]) != partition[1] or (sort is not None and not sort[1].contains(key[sort[0]])):
        raise rule_violation("query.cursor", "cursor_invalid", "The cursor is not one this list gave out.")
    return key


def cursor_partition(cursor: str | None, name: str = "pk") -> str | None:
    """The partition a cursor names (unchecked: `decode_cursor` checks it), for a list that walks
    several partitions (the audit trail's months) and must know which one the cursor resumes."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    value = key.get(name) if isinstance(key, dict) else None
    return value if isinstance(value, str) else None


def _fits_key(name: str, value: str) -> bool:
    try:
        size = len(value.encode("utf-8"))  # a lone surrogate cannot be a key
    except UnicodeEncodeError:
        return False
    return size <= (SORT_KEY_MAX_BYTES if name.endswith("sk") else PARTITION_KEY_MAX_BYTES)


def cursor_key(item: Any, index: str | None = None) -> dict[str, str]:
    """The key that resumes a Query after `item`: table keys, plus the index's keys when reading one."""
    key = {"pk": item.pk, "sk": item.sk}
    if index:
        key |= {f"{index}pk": getattr(item, f"{index}pk"), f"{index}sk": getattr(item, f"{index}sk")}
    return key


def start_key(start: dict[str, str] | None) -> dict[str, Any] | None:
    """A decoded cursor as the ExclusiveStartKey of a Query (every key attribute is a string)."""
    return {name: {"S": value} for name, value in start.items()} if start else None


def collect(items: Iterator[Any], limit: int, key_of: Callable[[Any], dict[str, str]]) -> tuple[list[Any], str | None]:
    """The first `limit` items of a (possibly filtered, auto-paging) Query, and the cursor of the
    next page: the key of the last item returned, or None when the Query ran out."""
    page: list[Any] = []
    for item in items:
        page.append(item)
        if len(page) == limit:
            return page, encode_cursor(key_of(item))
    return page, None
