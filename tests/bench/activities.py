"""DynamoDB round trips and (estimated) capacity per activity create, sync of 25, list page, review."""

from __future__ import annotations

import uuid

from tests.bench import BenchEnv, count_calls, table
from tests.helpers import make_user


def run(env: BenchEnv) -> str:
    api = env.api
    org = f"bench-act-{uuid.uuid4().hex[:8]}"
    mentor, coordinator = make_user(api, org), make_user(api, org, "coordinator")
    kari = api.call("POST", "/api/contacts", mentor, {"name": "Kari"}).body["id"]
    for day in range(1, 29):  # some history, so lists and duplicate checks read real pages
        api.call("POST", "/api/activities", mentor, {"activity_date": f"2026-10-{day:02d}", "activity_type": "meeting", "contact_id": kari})
    rows = []

    def measure(label: str, method: str, path: str, who, body=None) -> dict:
        with count_calls() as counter:
            reply = api.call(method, path, who, body)
        assert reply.status < 300, (label, reply.status, reply.body)
        rows.append([label, counter.total, counter.describe(), f"{counter.read_units:g}", f"{counter.write_units:g}"])
        return reply.body

    created = measure("create, no contact", "POST", "/api/activities", mentor, {"activity_date": "2026-11-02", "activity_type": "meeting"})
    measure("create with contact (duplicate checks)", "POST", "/api/activities", mentor, {"activity_date": "2026-11-03", "activity_type": "home_visit", "contact_id": kari})
    measure("create with contact and local_id", "POST", "/api/activities", mentor, {"activity_date": "2026-11-04", "activity_type": "home_visit", "contact_id": kari, "local_id": "phone-1"})
    measure("create replayed (known local_id)", "POST", "/api/activities", mentor, {"activity_date": "2026-11-04", "activity_type": "home_visit", "contact_id": kari, "local_id": "phone-1"})
    items = [{"activity_date": f"2026-09-{n + 1:02d}", "activity_type": "phone_call", "local_id": f"sync-{n}"} for n in range(25)]
    measure("sync of 25 new", "POST", "/api/activities/sync", mentor, {"items": items})
    measure("sync of 25 replayed", "POST", "/api/activities/sync", mentor, {"items": items})
    measure("list page (member, 25)", "GET", "/api/activities", mentor)
    measure("list page (coordinator, status filter)", "GET", "/api/activities?status=under_review", coordinator)
    measure("review (approve)", "POST", f"/api/activities/{created['id']}/review", coordinator, {"action": "approve"})
    measure("patch with version", "PATCH", f"/api/activities/{created['id']}", coordinator, {"summary": "x", "version": 2})
    return (
        "## Activities\n\n"
        "Each row is one request through the real handler (a signed-in user: the first GetItem is the caller's user record). "
        "Capacity units are estimated from the items' sizes by DynamoDB's rules (moto reports none): "
        "reads 4 KB a unit (eventual ½, consistent 1), writes 1 KB a unit, doubled inside a transaction.\n\n"
        + table(["request", "calls", "operations", "RCU", "WCU"], rows)
        + "\n\nA create is the caller's GetItem, one BatchGetItem (organization, contact, local_id guard), one Query of the "
        "contact's ±1 day (suspected duplicates, only with a contact) and one TransactWriteItems (activity, local_id guard, "
        "hard-duplicate guard): 3 round trips after authentication; the hard-duplicate rule needs no read at all."
    )
