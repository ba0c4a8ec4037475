"""Calendar import of a 1,000-event file (created, then imported again), and a feed read: AWS calls,
seconds and peak memory."""

from __future__ import annotations

import os
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta

from activity_tracker.logic.calendar_import import WRITERS
from tests.bench import BenchEnv, count_calls, table
from tests.helpers import make_user

EVENTS = 1_000
VTIMEZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Oslo\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n"
    "DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
)


def calendar_file(count: int, now: datetime) -> bytes:
    """`count` single events of the last 80 days, as Google Calendar writes them (TZID, VTIMEZONE)."""
    events = []
    for n in range(count):
        start = (now - timedelta(days=80) + timedelta(minutes=113 * n)).astimezone(UTC)
        stamp = start.strftime("%Y%m%dT%H%M%SZ")
        end = (start + timedelta(minutes=45)).strftime("%Y%m%dT%H%M%SZ")
        events.append(f"BEGIN:VEVENT\r\nDTSTART:{stamp}\r\nDTEND:{end}\r\nDTSTAMP:{stamp}\r\nUID:{n:05d}x@google.com\r\nSUMMARY:Besøk {n}\r\nEND:VEVENT\r\n")
    return ("BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\nX-WR-TIMEZONE:Europe/Oslo\r\n" + VTIMEZONE + "".join(events) + "END:VCALENDAR\r\n").encode()


def run(env: BenchEnv) -> str:
    api = env.api
    org = f"bench-cal-{uuid.uuid4().hex[:8]}"
    mentor = make_user(api, org, email="mentor@bench.example")
    data = calendar_file(EVENTS, datetime.now(UTC))
    rows = []

    def measure(label: str, query: str = "") -> dict:
        started, cpu = time.perf_counter(), time.process_time()  # our process's CPU (every thread); DynamoDB Local runs in another
        with count_calls() as counter:
            reply = api.call("POST", f"/api/calendar/import{query}", mentor, raw=data, headers={"content-type": "text/calendar"})
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert reply.status == 200, (label, reply.status, str(reply.body)[:500])
        # in Lambda at 1,024 MB: the CPU stretched to its share of a vCPU (1,769 MB = one), plus the waits in region
        # (docs/operations.md, Lambda memory: 10 ms a TransactWriteItems, 4 ms any other call), the writes WRITERS at a time
        writes = counter.calls.get("TransactWriteItems", 0)
        lambda_seconds = cpu * 1769 / 1024 + (writes * 0.010) / WRITERS + (counter.total - writes) * 0.004
        rows.append([label, reply.body["counts"], counter.total, counter.describe(), f"{seconds:.2f}", f"{cpu:.2f}", f"{lambda_seconds:.1f}"])
        return reply.body

    from activity_tracker.calendars import parse

    parse.read(data, "text/calendar", timezone="Europe/Oslo", email="", now=datetime.now(UTC))  # the libraries loaded (a warm container)
    started = time.perf_counter()
    parsed = parse.read(data, "text/calendar", timezone="Europe/Oslo", email="", now=datetime.now(UTC))
    parse_seconds = time.perf_counter() - started
    assert len(parsed) == EVENTS
    tracemalloc.start()
    parse.read(data, "text/calendar", timezone="Europe/Oslo", email="", now=datetime.now(UTC))
    parse_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    measure(f"dry run of {EVENTS:,} new events", "?dry_run=true")
    first = measure(f"import of {EVENTS:,} new events")
    assert first["counts"]["created"] == EVENTS
    again = measure(f"the same file again ({EVENTS:,} existing)")
    assert again["counts"]["existing"] == EVENTS
    tracemalloc.start()  # memory on a run of its own: tracing slows Python down several times
    api.call("POST", "/api/calendar/import", mentor, raw=data, headers={"content-type": "text/calendar"})
    import_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    token = api.call("POST", "/api/calendar/feed", mentor).body["url"].rsplit("/", 1)[1]
    for n in range(60):  # some activities to serve that were not imported (imported ones are left out of the feed)
        api.call("POST", "/api/activities", mentor, {"activity_date": (datetime.now(UTC) - timedelta(days=n + 1)).strftime("%Y-%m-%d"), "activity_type": "meeting", "summary": f"logged {n}"})
    started = time.perf_counter()
    with count_calls() as counter:
        feed = api.call("GET", f"/api/calendar/feed/{token}", None)
    feed_seconds = time.perf_counter() - started
    with count_calls() as poll:
        unchanged = api.call("GET", f"/api/calendar/feed/{token}", None, headers={"If-None-Match": feed.headers["etag"]})
    assert (feed.status, unchanged.status) == (200, 304)
    from datetime import timedelta as _delta

    from activity_tracker.logic import calendar_feed

    settle, calendar_feed.SETTLE = calendar_feed.SETTLE, _delta(0)  # as two minutes after the feed stamp
    try:
        settled_tag = api.call("GET", f"/api/calendar/feed/{token}", None).headers["etag"]
        with count_calls() as settled_poll:
            assert api.call("GET", f"/api/calendar/feed/{token}", None, headers={"If-None-Match": settled_tag}).status == 304
    finally:
        calendar_feed.SETTLE = settle

    return (
        "## Calendar import and feed\n\n"
        f"A Google-shaped file of {EVENTS:,} single events of the last 80 days ({len(data) / 1024:.0f} KiB, under the 256 KiB body limit) "
        "imported by one member through the real handler, against DynamoDB Local. Each row is one request; `calls` are AWS calls; "
        f"`CPU s` is this process's CPU time for it (the handler's threads, the test client's checks of the answer included); `est. Lambda s` is "
        f"that CPU at 1,024 MB's share of a vCPU plus the calls' waits in region (10 ms a TransactWriteItems, {WRITERS} at a time; 4 ms any other), "
        f"the arithmetic of docs/operations.md (Lambda memory), against the function's 29 s. Load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.\n\n"
        + table(["request", "outcomes", "calls", "operations", "seconds (local)", "CPU s", "est. Lambda s"], [[r[0], ", ".join(f"{k} {v}" for k, v in r[1].items() if v), *r[2:]] for r in rows])
        + f"\n\nReading the file alone (icalendar parse, recurrence expansion, no AWS): {parse_seconds:.2f} s, "
        f"peak Python memory {parse_peak / 2**20:.1f} MiB (tracemalloc). A whole import of the unchanged file (parse, 10 BatchGetItems of guards, "
        f"10 of activities, {EVENTS:,} outcomes, the JSON answer): peak Python memory {import_peak / 2**20:.1f} MiB.\n\n"
        f"An import writes one TransactWriteItems per created event (the activity and its calendar guard), {WRITERS} at a time, and reads the guards and "
        f"their activities in batches of 100: {EVENTS:,} new events cost about {EVENTS:,} writes and 10 reads, an unchanged file only the reads. "
        "The function has 29 s (API Gateway's integration timeout) and 1,024 MB.\n\n"
        f"Feed read (60 logged activities in the last 90 days): {counter.total} calls ({counter.describe()}), {feed_seconds * 1000:.0f} ms, "
        f"{len(feed.body) / 1024:.0f} KiB: the token's UpdateItem (lookup, hourly count and feed stamp in one), the memberships Query, one BatchGetItem "
        "(profile, classes) and the activities Query, here in pages of 100 over the "
        f"{EVENTS + 60:,} activities of the 90 days (the imported ones are read, then left out). A poll with `If-None-Match` within two minutes "
        f"of the feed stamp answered 304 after the same {poll.total} calls (its tag hashes the bytes); once the stamp has settled, "
        f"a 304 took {settled_poll.total} call ({settled_poll.describe()}): the stream consumer keeps the stamp on the token item, "
        "so the tag needs no other read, whatever the number of activities and classes. The consumer pays one BatchGetItem of feed "
        "pointers per batch with such records and one conditional UpdateItem per user with a feed whose stamp moves "
        "(docs/decisions.md, Calendars)."
    )
