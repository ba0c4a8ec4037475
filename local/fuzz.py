"""`make fuzz`: schemathesis over every operation of docs/openapi.json against a fresh local stack.

Starts `python -m local serve` on a free port (as the end-to-end tests do), signs in an admin
(from ADMIN_EMAILS, so role checks let most requests reach the logic) and a member, and runs
`schemathesis run` once per caller with the checks the contract promises: no 5xx for any input,
and every response conforms to the schema it is documented with (status code, content type, body).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from local.jwt_local import mint, stable_sub
from local.openapi import OPENAPI_FILE
from local.process import child_stack
from local.template import ROOT

IDEMPOTENCY_KEY = "Idempotency-Key"
MAX_KEY_CHARS = 255


def unique_idempotency_key(headers: dict[str, Any] | None) -> None:
    """Make the generated Idempotency-Key of `headers` (if any) unique, within its 255 characters."""
    if headers and isinstance(headers.get(IDEMPOTENCY_KEY), str):
        suffix = f"-{uuid.uuid4()}"
        headers[IDEMPOTENCY_KEY] = headers[IDEMPOTENCY_KEY][: MAX_KEY_CHARS - len(suffix)].rstrip() + suffix


# What the hooks of local/fuzz_hooks.py need to meet the rules JSON Schema cannot state (docs/decisions.md,
# Fuzzing): the stack, the caller's token, a contact of the organization and a user an activity may name.
FIXTURE_ENV = ("FUZZ_URL", "FUZZ_TOKEN", "FUZZ_CONTACT_ID", "FUZZ_USER_ID")


def fixtures(url: str, tokens: dict[str, str], role: str) -> dict[str, str]:
    """The environment of `role`'s schemathesis run: every caller of its organization signed in (a
    first sign-in registers the user) and a contact of `role`'s. Its activities name the member (a
    proxy registration for the admin, their own for the member)."""
    from local.seed import call

    ids = {}
    for caller, token in tokens.items():
        status, me = call(url, "GET", "/api/users/me", token)
        if status != 200:
            raise RuntimeError(f"fuzz fixtures: GET /api/users/me as {caller} answered {status}: {me}")
        ids[caller] = me["id"]
    status, contact = call(url, "POST", "/api/contacts", tokens[role], {"name": f"Fuzz contact of the {role}"})
    if status != 201:
        raise RuntimeError(f"fuzz fixtures: POST /api/contacts as {role} answered {status}: {contact}")
    return {"FUZZ_URL": url, "FUZZ_TOKEN": tokens[role], "FUZZ_CONTACT_ID": contact["id"], "FUZZ_USER_ID": ids["member"]}


# The rules JSON Schema cannot state, met by the hooks of local/fuzz_hooks.py (why: its docstring)
PAST_YEAR = "2004"
KNOWN_TIMEZONE = "Europe/Oslo"
CALENDAR_IMPORT = ("POST", "/api/calendar/import")
FIXTURE_PATHS = {("PATCH", "/api/activities/{id}"), ("POST", "/api/activities/{id}/home-visit-report")}


def meet_activity_rules(body: dict[str, Any]) -> None:
    """The rules of an activity body that need the clock or other items; nested items (sync's
    `items`, bulk's `activity`) too."""
    items = body.get("items")
    for nested in [body.get("activity"), *(items if isinstance(items, list) else [])]:
        if isinstance(nested, dict):
            meet_activity_rules(nested)
    if isinstance(body.get("activity_date"), str):
        body["activity_date"] = in_the_past(body["activity_date"])
    if isinstance(body.get("contact_id"), str) and os.environ.get("FUZZ_CONTACT_ID"):
        body["contact_id"] = os.environ["FUZZ_CONTACT_ID"]
    if isinstance(body.get("user_id"), str) and os.environ.get("FUZZ_USER_ID"):
        body["user_id"] = os.environ["FUZZ_USER_ID"]


def in_the_past(value: str) -> str:
    """`value` with the year 2004 when it is a date or date-time after now; anything else unchanged."""
    try:
        moment = datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # two days of margin: a date is local midnight in the organization's time zone (UTC-12..+14)
    if moment.astimezone(UTC) < datetime.now(UTC) - timedelta(days=2):
        return value
    return re.sub(r"^\d{4}", PAST_YEAR, value)


def known_timezone(body: dict[str, Any]) -> None:
    from activity_tracker.models.organization import is_iana_timezone

    if isinstance(body.get("timezone"), str) and not is_iana_timezone(body["timezone"]):
        body["timezone"] = KNOWN_TIMEZONE


def keeps_group(body: dict[str, Any] | None) -> bool:
    if not body:
        return False
    flag = body.get("is_group_activity")
    return flag is True or (flag is None and isinstance(body.get("participant_count"), int))


def fresh_activity(*, home_visit: bool, group: bool) -> str:
    """A new activity of the caller (a day in 2004, no contact), made through the API."""
    from local.seed import call

    activity: dict[str, Any] = {"activity_date": "2004-06-01", "duration_minutes": 30, "activity_type": "home_visit" if home_visit else "meeting"}
    if group and not home_visit:
        activity.update(activity_type="group_activity", is_group_activity=True, participant_count=2)
    status, answer = call(os.environ["FUZZ_URL"], "POST", "/api/activities", os.environ["FUZZ_TOKEN"], activity)
    if status != 201:
        raise RuntimeError(f"fuzz fixture: POST /api/activities answered {status}: {answer}")
    return str(answer["id"])


def matching_if_match(headers: dict[str, Any] | None) -> None:
    """A generated `If-Match` names the stored version only by chance (412 `precondition_failed`, a
    rule of stored state): its tags stay, `*` joins them, so the header is still parsed as sent."""
    for name in list(headers or {}):
        if name.lower() == "if-match" and isinstance(headers[name], str):  # type: ignore[index]
            headers[name] = f"{headers[name]}, *" if headers[name].strip() else "*"  # type: ignore[index]


def as_calendar(generated: Any) -> Any:
    """Generated bytes that are no iCalendar file become the SUMMARY of one event of a minimal file
    (printable text, escaped as RFC 5545 says): the import parses them as an event's text instead of
    refusing the file (`calendar_malformed`, a grammar JSON Schema cannot state)."""
    raw = generated if isinstance(generated, bytes) else str(generated or "").encode("utf-8", "surrogatepass")
    if raw.lstrip().upper().startswith(b"BEGIN:VCALENDAR"):
        return generated
    text = "".join(ch for ch in raw.decode("utf-8", "replace") if ch.isprintable())
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    day = (datetime.now(UTC) - timedelta(days=10)).strftime("%Y%m%d")  # within the import's window: it becomes an activity
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//activity-tracker//fuzz//EN", "BEGIN:VEVENT", f"UID:{uuid.uuid4()}@fuzz.example",
             f"DTSTART:{day}T100000Z", f"DTEND:{day}T110000Z", f"SUMMARY:{text}", "END:VEVENT", "END:VCALENDAR", ""]  # fmt: skip
    return "\r\n".join(lines).encode("utf-8")


CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
FUZZ_ADMIN = "fuzz-admin@fuzz.example"


@contextmanager
def local_stack(admin_emails: str) -> Iterator[str]:
    """A fresh stack in a child process; yields its URL and shows its log's errors afterwards."""
    # no daily export quota to speak of: the fuzzer's exports test the contract, not the quota (its
    # 429s would leave every generated export refused, which schemathesis reads as a schema mismatch)
    with child_stack(Path(tempfile.gettempdir()), admin_emails, LOCAL_LOG_LEVEL="WARNING", EXPORTS_DAILY_QUOTA="1000000") as running:
        try:
            yield running.url
        finally:
            errors = [line for line in running.log.read_text().splitlines() if "Traceback" in line or " failed" in line]
            if errors:
                print(f"local runner log ({running.log}) had {len(errors)} error line(s):\n" + running.log.read_text()[-5000:], file=sys.stderr)


def main(max_examples: int = 100, extra: list[str] | None = None) -> int:
    from local.openapi import check

    if not check():
        print("docs/openapi.json differs from the code: run `make openapi` first.", file=sys.stderr)
        return 1
    # one organization per caller: what the admin's run does (deactivate users, change settings) does not reach the member's
    base = f"fuzz-{uuid.uuid4().hex[:8]}"
    callers = {"admin": FUZZ_ADMIN, "member": "fuzz-member@fuzz.example"}
    worst = 0
    with local_stack(FUZZ_ADMIN) as url:
        for role, email in callers.items():
            org = f"{base}-{role}"
            tokens = {caller: mint(stable_sub(address), address, org, ttl_seconds=4 * 3600) for caller, address in callers.items()}
            token = tokens[role]
            environment = fixtures(url, tokens, role)
            command = [
                sys.executable, "-m", "schemathesis.cli", "run", str(OPENAPI_FILE), "--url", url,
                "--header", f"Authorization: Bearer {token}", "--checks", CHECKS,
                "--max-examples", str(max_examples), "--workers", "1", "--suppress-health-check", "all",
                "--seed", os.environ.get("FUZZ_SEED", "42"), "--generation-database", "none", *(extra or []),
            ]  # fmt: skip
            print(f"\n=== schemathesis as {role} ({email}, org {org}) against {url}", flush=True)
            worst = max(worst, subprocess.call(command, cwd=ROOT, env={**os.environ, **environment, "SCHEMATHESIS_HOOKS": "local.fuzz_hooks"}))
    return worst
