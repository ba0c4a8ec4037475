"""Demo data, written through the HTTP API of a running local stack (so it obeys every rule)."""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from local.jwt_local import mint, stable_sub

DEMO_USERS = [
    ("admin@demo.example", "Ada Admin"),
    ("coordinator@demo.example", "Cora Coordinator"),
    ("mentor1@demo.example", "Mats Mentor"),
    ("mentor2@demo.example", "Mia Mentor"),
]


# The API's answers to this run's requests ("succeeded" 2xx, "refused" otherwise): the summary counts them.
ANSWERS: Counter[str] = Counter()


def call(url: str, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    status, answer = _request(url, method, path, token, body)
    ANSWERS["succeeded" if 200 <= status < 300 else "refused"] += 1
    return status, answer


def _request(url: str, method: str, path: str, token: str, body: Any) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method, headers={"Authorization": f"Bearer {token}", "content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None


def seed(url: str | None, org: str) -> int:
    from urllib.error import URLError

    from local.jwt_local import LOCAL_TOKEN_TTL_SECONDS

    url = url or f"http://127.0.0.1:{os.environ.get('PORT', '3000')}"
    tokens = {email: mint(stable_sub(email), email, org, ttl_seconds=LOCAL_TOKEN_TTL_SECONDS) for email, _ in DEMO_USERS}
    ANSWERS.clear()
    try:
        call(url, "GET", "/api/users/me", tokens[DEMO_USERS[0][0]])
    except (URLError, ConnectionError) as error:
        print(f"make seed: no stack answers at {url} ({getattr(error, 'reason', error)}); start `make local` (with the same PORT) first.", file=sys.stderr)
        return 1
    roles = {}
    for email, name in DEMO_USERS:
        status, body = call(url, "PATCH", "/api/users/me", tokens[email], {"name": name})
        roles[email] = body.get("role") if isinstance(body, dict) else None
        print(f"user {email:28} -> {status} role={roles[email] or body}")
    status, _ = call(url, "PATCH", f"/api/users/{stable_sub(DEMO_USERS[1][0])}", tokens[DEMO_USERS[0][0]], {"role": "coordinator"})
    print(f"promote {DEMO_USERS[1][0]} to coordinator -> {status}")
    if roles[DEMO_USERS[0][0]] != "admin":
        print(f"\n{DEMO_USERS[0][0]} is not admin: start `make local` with ADMIN_EMAILS listing it (the default), so its steps are not refused with 403.")
    status, _ = call(url, "POST", "/api/user_progress", tokens[DEMO_USERS[2][0]], {"data": {"progress_type": "sign_learned", "item_id": "hello", "score": 1}})
    print(f"user_progress for {DEMO_USERS[2][0]} -> {status}")
    for extend in SEED_STEPS:
        extend(url, org, tokens)
    refused = f", {ANSWERS['refused']} refused (see above)" if ANSWERS["refused"] else ""
    print(f"\nSeeded through the API of {url}: {ANSWERS['succeeded']} requests succeeded{refused}.")
    print(f"\nTokens (valid {LOCAL_TOKEN_TTL_SECONDS // 3600} h):")
    for email, token in tokens.items():
        print(f"  {email}: {token}")
    return 0


def seed_activities(url: str, org: str, tokens: dict[str, str]) -> None:
    admin, coordinator, mentor1, mentor2 = (tokens[email] for email, _ in DEMO_USERS)
    _, kari = call(url, "POST", "/api/contacts", mentor1, {"name": "Kari Nordmann", "notes": "Prefers mornings"})
    _, ola = call(url, "POST", "/api/contacts", mentor2, {"name": "Ola Hansen"})
    today = datetime.now(UTC).date()
    created = []
    contact_ids = [contact.get("id") if isinstance(contact, dict) else None for contact in (kari, ola)]
    for days_ago, token, kind, contact_id, minutes in [(1, mentor1, "home_visit", contact_ids[0], 60), (2, mentor1, "phone_call", contact_ids[0], 15), (3, mentor2, "meeting", contact_ids[1], 45), (8, mentor2, "home_visit", contact_ids[1], 90)]:
        body = {"activity_date": (today - timedelta(days=days_ago)).isoformat(), "activity_type": kind, "duration_minutes": minutes, "contact_id": contact_id, "summary": "Demo activity"}
        status, activity = call(url, "POST", "/api/activities", token, body)
        created.append((status, activity))
        print(f"activity {kind:12} -> {status}")
    group = call(url, "POST", "/api/activities", coordinator, {"activity_date": today.isoformat(), "activity_type": "group_activity", "is_group_activity": True, "participant_count": 6, "duration_minutes": 120, "summary": "Summer party"})
    print(f"activity {'group_activity':12} -> {group[0]}")
    reviews = [call(url, "POST", f"/api/activities/{activity['id']}/review", admin, {"action": "approve"}) for status, activity in created[:2] if status == 201]
    logged = sum(1 for status, _ in [*created, group] if status == 201)
    approved = sum(1 for status, body in reviews if status == 200 and isinstance(body, dict) and body.get("status") == "approved")
    print(f"activities: {logged} logged, {approved} approved; counters follow within a second (GET /api/stats/me)")


def seed_learning(url: str, org: str, tokens: dict[str, str]) -> None:
    """Learning platform (issue 6): two tasks (by the admin), a group class booked by a mentor,
    confirmed, joined by the other mentor, with a task attached."""
    admin, host, learner = (tokens[DEMO_USERS[index][0]] for index in (0, 2, 3))
    tasks = [
        {"title": "The alphabet", "content": "# A to Z\nSay each letter.", "answer": "A, B, C, ...", "description": "Letters and sounds", "type": "reading", "difficulty": "easy"},
        {"title": "At the doctor", "content": "Listen and answer.", "answer": "1b, 2a", "description": "A dialogue", "type": "audio", "difficulty": "medium"},
    ]
    created = []
    for task in tasks:
        status, body = call(url, "POST", "/api/tasks", admin, task)
        print(f"task {task['title']!r:20} -> {status}")
        if status == 201:
            created.append(body["id"])
    when = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    status, klass = call(url, "POST", "/api/classes", host, {"class_type": "grupal", "max_participants": 5, "scheduled_at": when, "title": "Conversation practice"})
    print(f"class booked by mentor1 -> {status}")
    if status != 201:
        return
    steps = [("confirm", host, None), ("join", learner, None)] + ([("tasks", host, {"task_id": created[0]})] if created else [])
    for action, token, body in steps:
        status, _ = call(url, "POST", f"/api/classes/{klass['id']}/{action}", token, body)
        print(f"class {action:8} -> {status}")



def seed_export(url: str, org: str, tokens: dict[str, str]) -> None:
    today = datetime.now(UTC).date()
    status, export = call(url, "POST", "/api/exports/bufdir", tokens[DEMO_USERS[0][0]], {"period_start": (today - timedelta(days=30)).isoformat(), "period_end": today.isoformat(), "format": "csv"})
    if status == 202 and isinstance(export, dict):
        print(f"Bufdir export -> {status}: GET /api/exports/{export['id']} gives its URL when done")
    else:
        print(f"Bufdir export -> {status} {(export or {}).get('error', {}).get('code') if isinstance(export, dict) else ''}")


# Demo data of each feature: functions (url, org, tokens) -> None, run in order.
SEED_STEPS: list[Any] = [seed_activities, seed_learning, seed_export]
