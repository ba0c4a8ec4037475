"""DynamoDB's limits, measured in bytes as DynamoDB measures them (no AWS)."""

from __future__ import annotations

import pytest

from activity_tracker import keys
from activity_tracker.limits import SORT_KEY_MAX_BYTES, item_size, storable_number, truncate_utf8, utf8_size
from activity_tracker.pagination import SortRange
from activity_tracker.rules.activities import local_day_window


@pytest.mark.parametrize(
    ("number", "storable"),
    [
        (0, True), (-0.0, True), (1e-130, True), (-1e-130, True), (9.99e125, True), (10**38 - 1, True), (10**125, True),
        (12345678901234567890123456789012345678 * 10**80, True),  # 38 significant digits, trailing zeros do not count
        (1e-131, False), (5e-324, False), (1e126, False), (10**126, False), (10**38 + 1, False),
        (123456789012345678901234567890123456789, False), (float("inf"), False), (float("nan"), False),
    ],
)  # fmt: skip
def test_numbers_dynamodb_can_store(number: float, storable: bool):
    assert storable_number(number) is storable


def test_truncation_keeps_whole_characters():
    for text in ("a" * 2000, "\U0001f600" * 300, "e\u0301" * 400, "\u0390" * 500):
        cut = truncate_utf8(text, 1001)
        assert utf8_size(cut) <= 1001 and text.startswith(cut) and utf8_size(cut) > 1001 - 4


@pytest.mark.parametrize("name", ["\u0390" * 200, "\ufb03" * 200, "\U0001f600" * 200, "ß" * 200, "Kari"])
def test_a_contacts_sort_key_always_fits(name: str):
    key = keys.contact_by_name(name, "0f8fad5b-d9cb-469f-a165-70867728950e")
    assert utf8_size(key) <= SORT_KEY_MAX_BYTES and key.endswith("#0f8fad5b-d9cb-469f-a165-70867728950e")
    assert name.casefold().startswith(key.rsplit("#", 1)[0])


def test_item_size_counts_names_and_values_in_bytes():
    assert item_size({"pk": {"S": "é"}, "n": {"N": "12345"}, "b": {"BOOL": True}, "m": {"M": {"k": {"S": "ab"}}}}) == (2 + 2) + (1 + 4) + (1 + 1) + (1 + 3 + 1 + 1 + 2)


def test_day_windows_stop_at_the_ends_of_the_calendar():
    assert local_day_window("0001-01-01", 1) == ("0001-01-01", "0001-01-02")
    assert local_day_window("9999-12-31", 3) == ("9999-12-28", "9999-12-31")
    assert local_day_window("2026-03-01", 1) == ("2026-02-28", "2026-03-02")


def test_a_sort_range_builds_the_key_condition_and_checks_cursors_alike():
    dates = SortRange(low="2026-01-01", high="2026-01-31~")
    assert dates.contains("2026-01-31T23:00:00.000Z#x") and not dates.contains("2026-02-01T00:00:00.000Z#x") and not dates.contains("2025-12-31#x")
    assert SortRange(prefix="UA#c1#").contains("UA#c1#u") and not SortRange(prefix="UA#c1#").contains("UA#c2#u")
    assert SortRange().contains("anything") and SortRange().condition(object()) is None
