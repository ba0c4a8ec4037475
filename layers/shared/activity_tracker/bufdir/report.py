"""Rows and summary of a Bufdir export (pure): only approved, live, eligible activities inside the
period count, and a test organization's export has none. An activity is a plain mapping of its
stored attributes (see `ATTRIBUTES`), as the worker reads them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from activity_tracker.rules.activities import bufdir_eligible

COLUMNS = (
    "id", "activity_date", "local_date", "user_id", "registered_by_user_id", "activity_type", "bufdir_category",
    "duration_minutes", "is_group_activity", "participant_count", "participants", "contact_id", "summary",
    "is_proxy_registration", "is_bulk_registration", "has_home_visit_report",
)  # fmt: skip
FLAGS = ("is_group_activity", "is_proxy_registration", "is_bulk_registration", "has_home_visit_report")
STORED = tuple(name for name in COLUMNS if name not in ("bufdir_category", "participants"))
ATTRIBUTES = (*STORED, "status", "deleted_at", "bufdir_excluded")  # what an export reads of an activity (each once: DynamoDB refuses overlapping paths)


def counts(activity: Mapping[str, Any], period_start: str, period_end: str) -> bool:
    """Approved, live and inside the period (eligibility is `reported_category`'s)."""
    return period_start <= activity["local_date"] <= period_end and activity.get("status") == "approved" and not activity.get("deleted_at")


def reported_category(activity: Mapping[str, Any], categories: Mapping[str, str | None], is_test_organization: bool) -> str | None:
    """The Bufdir category the activity is reported under now, or None when it is not eligible:
    the eligibility rules applied with the organization's mapping at export time, not the
    `bufdir_eligible` flag stored when the activity was last written (a remap since, say
    `home_visit` → `group`, must not report a 15-minute visit as a group activity)."""
    if not bufdir_eligible(activity, categories, is_test_organization):
        return None
    return categories.get(activity["activity_type"])


def participants(activity: Mapping[str, Any]) -> int:
    """A group activity counts its participants; a single-contact activity one person."""
    if activity.get("is_group_activity") and activity.get("participant_count"):
        return int(activity["participant_count"])
    return 1


def row(activity: Mapping[str, Any], category: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {name: activity.get(name) for name in STORED}
    out["bufdir_category"] = category
    out["participants"] = participants(activity)
    for name in ("duration_minutes", "participant_count"):
        if out[name] is not None:
            out[name] = int(out[name])
    for name in FLAGS:
        out[name] = bool(out[name])  # an absent flag is false
    return {name: out[name] for name in COLUMNS}


@dataclass
class Summary:
    """Per Bufdir category: activity_count, activity_days, participants, duration_minutes; and active_mentors."""

    categories: dict[str, dict[str, Any]] = field(default_factory=dict)
    days: dict[str, set[str]] = field(default_factory=dict)
    mentors: set[str] = field(default_factory=set)

    def add(self, activity: Mapping[str, Any], category: str) -> None:
        entry = self.categories.setdefault(category, {"activity_count": 0, "activity_days": 0, "participants": 0, "duration_minutes": 0})
        entry["activity_count"] += 1
        entry["participants"] += participants(activity)
        entry["duration_minutes"] += int(activity["duration_minutes"])
        self.days.setdefault(category, set()).add(activity["local_date"])
        entry["activity_days"] = len(self.days[category])
        self.mentors.add(activity["user_id"])

    def as_dict(self) -> dict[str, Any]:
        return {"categories": {name: dict(values) for name, values in sorted(self.categories.items())}, "active_mentors": len(self.mentors)}


# A spreadsheet opening the CSV reads a cell starting with one of these as a formula (OWASP, CSV
# injection): `=HYPERLINK(...)` in a summary would run on the coordinator's machine.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: Any) -> Any:
    """OWASP's defence against CSV injection: a text cell that starts with a formula trigger gets a
    leading `'`, which spreadsheets take as "this is text" (numbers and booleans are left alone)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class CsvRows:
    """RFC 4180: a header row, CRLF line ends, fields with commas, quotes or newlines quoted; every
    text cell made inert to spreadsheets (`inert_cell`). Only the CSV: the JSON export keeps values as they are."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.DictWriter(self._buffer, fieldnames=COLUMNS, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)

    def start(self, meta: dict[str, Any]) -> bytes:
        self._writer.writeheader()
        return self._take()

    def add(self, values: dict[str, Any]) -> bytes:
        self._writer.writerow({k: ("true" if v is True else "false" if v is False else "" if v is None else inert_cell(v)) for k, v in values.items()})
        return self._take()

    def end(self, summary: dict[str, Any]) -> bytes:
        return b""

    def _take(self) -> bytes:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text.encode("utf-8")


class JsonRows:
    """One JSON document `{"export": {...}, "rows": [...], "summary": {...}}`, written as it goes."""

    def __init__(self) -> None:
        self._first = True

    def start(self, meta: dict[str, Any]) -> bytes:
        return ('{"export":' + json.dumps(meta, ensure_ascii=False) + ',"rows":[').encode("utf-8")

    def add(self, values: dict[str, Any]) -> bytes:
        prefix = "" if self._first else ","
        self._first = False
        return (prefix + json.dumps(values, ensure_ascii=False)).encode("utf-8")

    def end(self, summary: dict[str, Any]) -> bytes:
        return ('],"summary":' + json.dumps(summary, ensure_ascii=False) + "}").encode("utf-8")
