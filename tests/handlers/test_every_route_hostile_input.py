"""Property-based: arbitrary unicode, sizes and numbers at every route's body, query and path.

Routes come from template.yaml and each handler's endpoint() metadata (its body and query models,
read as JSON Schema), so a route added later is covered without editing this file. Each example
starts from a valid request (the route's sample body in events/, with real ids of the
organization) and replaces one to three of its fields (nested ones too), its query parameters or
its path id with a value the schema allows in shape but that may break a limit it does not state:
text sized at and around the field's limit in characters of 1 to 4 bytes in UTF-8, characters
that grow when case-folded (`ΐ`) or JSON-escaped (`é`, `😀`, controls), dates at the ends of the
calendar, integers past 38 digits, floats below 1e-130 or above 9.99e125, large JSON objects,
real cursors of the list sent with other filters and forged ones; and now and then a value of
another JSON type altogether.

Whatever comes in, the answer is a 2xx (whose body matches the declared model: `Api.call` checks
it) or a 4xx, never a 5xx; and a refused write leaves every item of the table exactly as it was
(no half-written transaction, no write before a late refusal).

Bounded for `make test`: at most `HOSTILE_INPUT_EXAMPLES` (default 12) examples per route,
derandomized (`HOSTILE_INPUT_RANDOM=1` for new ones each run), within a wall-clock budget
(`HOSTILE_INPUT_BUDGET_SECONDS`, default 30) shared out equally among the routes.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import time
from datetime import UTC, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from local.openapi import handler_metadata, sample_body
from local.runner import Handlers
from local.template import Function, Stack
from tests.helpers import Api, Person, make_user

EXAMPLES = int(os.environ.get("HOSTILE_INPUT_EXAMPLES", "12"))
RANDOM = bool(os.environ.get("HOSTILE_INPUT_RANDOM"))  # new examples each run (the default repeats the same ones)
BUDGET_SECONDS = float(os.environ.get("HOSTILE_INPUT_BUDGET_SECONDS", "30"))

_STACK = Stack()
_HANDLERS = Handlers(_STACK)
ROUTES = sorted(((route.method, route.path, fn) for route, fn in _STACK.routes()), key=lambda r: (r[1], r[0]))

# Characters that break a limit measured in characters: 1 to 4 bytes in UTF-8, several code points
# once case-folded (`ΐ`, `ﬃ`, `ß`, `İ`), 6 or 12 bytes once JSON-escaped (`é`, `😀`, controls),
# and the key separator.
CHARACTERS = ["a", "é", "€", "😀", "ΐ", "ﬃ", "ß", "İ", "\x00", "\x1f", '"', "\\", "#", "\u2028", "\ufeff", " "]
KEY_SIZES = [1, 129, 500, 513, 1000, 1003, 1025, 2049]
DATES = ["0001-01-01", "9999-12-31", "0001-01-02", "9999-12-30", "1999-12-31", "2026-01-05", "2026-02-30", "2026-13-01"]
INSTANTS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59Z", "2099-01-01T10:00:00Z", "2026-01-05T10:00:00", "0001-01-01T00:00:00"]
ZONES = [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-14))]
_OMIT = object()  # a field taken out of the request


def text(sizes: list[int]) -> st.SearchStrategy[str]:
    """`n` characters of one kind (or of a short random string), `n` from `sizes` or anything up to 3,000."""
    unit = st.one_of(st.sampled_from(CHARACTERS), st.text(min_size=1, max_size=3))
    return st.builds(lambda chars, n: (chars * n)[:n], unit, st.one_of(st.sampled_from(sizes), st.integers(0, 3000)))


NUMBERS = st.one_of(
    st.sampled_from([0, -1, 2**63, 10**38 - 1, 10**38 + 1, 10**39 + 7, -(10**40) - 7, 10**125, 10**126, 1e-130, 1e-131, 5e-324, -1e-200, 9.99e125, 1e126, 1.7976931348623157e308, -0.0]),
    st.integers(min_value=-(10**45), max_value=10**45),
    st.floats(allow_nan=False, allow_infinity=False),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, text(KEY_SIZES))
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=8)
# Objects whose JSON text grows up to twelvefold when stored with non-ASCII escaped
LARGE_OBJECTS = st.builds(lambda chars, n: {"k": chars * n}, st.sampled_from(["é", "€", "😀", "a"]), st.sampled_from([30_000, 60_000, 100_000]))
DATE_TEXT = st.one_of(st.sampled_from(DATES), st.sampled_from(INSTANTS), st.dates().map(lambda d: d.isoformat()), st.datetimes(timezones=st.sampled_from(ZONES)).map(lambda d: d.isoformat()))


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def fields_of(schema: dict[str, Any], defs: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], dict[str, Any]]:
    """Every field of an object schema by its path, nested objects' fields too."""
    out = {}
    for name, prop in schema.get("properties", {}).items():
        prop = _resolve(prop, defs)
        out[(*prefix, name)] = prop
        if prop.get("type") == "object" and "properties" in prop:
            out |= fields_of(prop, defs, (*prefix, name))
    return out


def hostile(name: str, schema: dict[str, Any], defs: dict[str, Any], ids: list[str]) -> st.SearchStrategy[Any]:
    """A value of the field's own JSON type aimed at the limits it does not state (1 in 8: any JSON)."""
    return st.one_of(*[shaped(name, schema, defs, ids)] * 7, JSON_VALUES)


def shaped(name: str, schema: dict[str, Any], defs: dict[str, Any], ids: list[str]) -> st.SearchStrategy[Any]:
    schema = _resolve(schema, defs)
    if "anyOf" in schema:
        return st.one_of([shaped(name, option, defs, ids) for option in schema["anyOf"] if option.get("type") != "null"] or [st.none()])
    if "enum" in schema or "const" in schema:
        return st.sampled_from(schema.get("enum") or [schema["const"]])
    kind = schema.get("type")
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        low, high = schema.get("minimum", 0), schema.get("maximum", 10**6)
        return st.one_of(st.sampled_from([low, high, low - 1, high + 1, 10**39]), st.integers(low, high))
    if kind == "number":
        return NUMBERS
    if kind == "string":
        if "@" in schema.get("pattern", ""):  # an id of the organization, or anything of an id's size
            return st.one_of(st.sampled_from(ids), text([1, 128, 129]))
        if "date" in name or name.endswith("_at") or name.startswith("period") or name in ("from", "to"):
            return DATE_TEXT
        limit = schema.get("maxLength")
        return text(sorted({limit - 1, limit, limit + 1} | set(KEY_SIZES)) if limit else [*KEY_SIZES, 20_000, 70_000])
    if kind == "array":
        item = shaped(name, schema.get("items", {}), defs, ids)
        return st.one_of(st.lists(item, min_size=1, max_size=3), st.lists(item, min_size=25, max_size=52))
    if kind == "object":
        return st.one_of(JSON_VALUES.filter(lambda v: isinstance(v, dict)), LARGE_OBJECTS)
    return st.one_of(NUMBERS, text([*KEY_SIZES, 100_000]), LARGE_OBJECTS, JSON_VALUES)  # any JSON (`Any` fields)


def _set(body: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for name in path[:-1]:
        if not isinstance(body.get(name), dict):
            body[name] = {}
        body = body[name]
    if value is _OMIT:
        body.pop(path[-1], None)
    else:
        body[path[-1]] = value


def mutated(base: dict[str, Any], fields: dict[tuple[str, ...], dict[str, Any]], defs: dict[str, Any], ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """`base` with one to three of `fields` replaced by hostile values (or taken out)."""
    if not fields:
        return st.just(base)
    paths = sorted(fields)

    def apply(changes: list[tuple[tuple[str, ...], Any]]) -> dict[str, Any]:
        out = copy.deepcopy(base)
        for path, value in changes:
            _set(out, path, value)
        return out

    one = st.sampled_from(paths).flatmap(lambda path: st.tuples(st.just(path), st.one_of(*[hostile(path[-1], fields[path], defs, ids)] * 9, st.just(_OMIT))))
    return st.lists(one, min_size=1, max_size=3).map(apply)


def forged_cursors(cursors: list[str]) -> st.SearchStrategy[str]:
    """A real cursor of the list with one key value replaced: too long, off the list's range, another partition."""

    def forge(cursor: str, index: int, value: str) -> str:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        key[sorted(key)[index % len(key)]] = value
        return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")

    if not cursors:
        return text([1, 20])
    return st.builds(forge, st.sampled_from(cursors), st.integers(0, 5), st.one_of(st.sampled_from(["0000", "~", "ORG#x", "1999-01-01#x", "UA#", "UAID#x"]), text([600, 1025, 1400])))


def query_values(schema: dict[str, Any], ids: list[str], cursors: list[str]) -> st.SearchStrategy[dict[str, str]]:
    """Query parameters (always strings): the required ones valid, then one to three set to hostile values."""
    defs = schema.get("$defs", {})
    props = schema.get("properties", {})
    base = {name: str(_resolve(prop, defs).get("enum", ["x"])[0]) for name, prop in props.items() if name in schema.get("required", [])}

    def value(name: str) -> st.SearchStrategy[Any]:
        if name == "cursor":
            return st.one_of(st.sampled_from(cursors) if cursors else text([5]), forged_cursors(cursors))
        return hostile(name, props[name], defs, ids)

    def as_text(v: Any) -> Any:
        return v if v is _OMIT or isinstance(v, str) else json.dumps(v)

    one = st.sampled_from(sorted(props)).flatmap(lambda name: st.tuples(st.just(name), st.one_of(value(name).map(as_text), st.just(_OMIT))))
    return st.lists(one, min_size=0 if not props else 1, max_size=3).map(lambda changes: {k: v for k, v in (base | dict(changes)).items() if v is not _OMIT}) if props else st.just({})


def request_strategy(method: str, path: str, function: Function, world: dict[str, Any]) -> st.SearchStrategy[tuple[str, Any]]:
    meta = handler_metadata(_HANDLERS.get(function))
    ids = world["all_ids"]
    own_id = world["ids"].get(path.split("/")[2], ids[0])
    path_id = st.one_of(*[st.just(own_id)] * 3, st.sampled_from(ids), text([1, 36, 128, 129, 2049]).map(lambda s: quote(s, safe="") or "x"))
    concrete = st.builds(lambda value: re.sub(r"\{[^}]+\}", value, path), path_id) if "{" in path else st.just(path)
    query = query_values(meta["query"].model_json_schema(), ids, world["cursors"].get(path, [])) if meta["query"] is not None else st.just({})
    body: st.SearchStrategy[Any] = st.just(None)
    if meta["body"] is not None:
        schema = meta["body"].model_json_schema()
        defs = schema.get("$defs", {})
        base = world_ids(sample_body(function, meta["body"]) or {}, world)
        body = mutated(base, fields_of(schema, defs), defs, ids)
    return st.tuples(st.builds(lambda p, q: f"{p}?{urlencode(q)}" if q else p, concrete, query), body)


def world_ids(body: Any, world: dict[str, Any], field: str = "") -> Any:
    """A sample body with its placeholder ids (UUIDs) replaced by real ones of the organization."""
    if isinstance(body, dict):
        return {k: world_ids(v, world, k) for k, v in body.items()}
    if isinstance(body, list):
        return [world_ids(v, world, field) for v in body]
    if isinstance(body, str) and re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", body):
        kind = {"contact_id": "contacts", "task_id": "tasks", "class_id": "classes"}.get(field, "users")
        return world["ids"][kind]
    return body


def snapshot() -> list[dict[str, Any]]:
    """Every item of the table (this module's own: see the fresh_table fixture), read consistently."""
    import boto3

    client, items = boto3.client("dynamodb"), []
    request: dict[str, Any] = {"TableName": _STACK.physical_name("Table"), "ConsistentRead": True}
    while True:
        page = client.scan(**request)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@pytest.fixture(scope="module")
def world(api: Api) -> dict[str, Any]:
    """One organization with items of each kind, an admin (the widest role, so answers come from
    validation and state rather than access) and a member, and a real cursor of every list."""
    org_id = f"org-hostile-{os.getpid()}"
    admin, member = make_user(api, org_id, "admin"), make_user(api, org_id)
    contact = api.call("POST", "/api/contacts", admin, {"name": "Kari"}).body["id"]
    api.call("POST", "/api/contacts", admin, {"name": "Ola"})
    activities = [api.call("POST", "/api/activities", admin, {"activity_date": f"2026-01-0{day}", "activity_type": "home_visit", "contact_id": contact}).body["id"] for day in (5, 6)]
    task = api.call("POST", "/api/tasks", admin, {"title": "t", "type": "exam", "difficulty": "easy"}).body["id"]
    classes = [api.call("POST", "/api/classes", admin, {"class_type": "grupal", "scheduled_at": f"2099-01-0{day}T10:00:00Z"}).body["id"] for day in (1, 2)]
    api.call("POST", f"/api/classes/{classes[0]}/join", member)
    exports = []
    for m in (1, 2):  # one unfinished export per organization at a time: each is finished as a worker would
        exports.append(api.call("POST", "/api/exports/bufdir", admin, {"period_start": f"2026-0{m}-01", "period_end": f"2026-0{m}-28"}).body["id"])
        from activity_tracker.repository import exports as export_items

        export_items.fail_stuck(export_items.get(org_id, exports[-1]), "finished by the fixture")
    user_activity = api.call("GET", "/api/user-activities", admin).body["items"][0]["id"]
    ids = {"activities": activities[0], "contacts": contact, "classes": classes[0], "tasks": task, "exports": exports[0], "user-activities": user_activity, "users": member.sub}
    cursors: dict[str, list[str]] = {}
    for method, path, _ in ROUTES:
        if method == "GET" and "{" not in path:
            reply = api.call("GET", f"{path}?limit=1", admin)
            if reply.status == 200 and isinstance(reply.body, dict) and reply.body.get("next_cursor"):
                cursors[path] = [reply.body["next_cursor"]]
    every_id = sorted(set(ids.values()) | {admin.sub, activities[1], classes[1], exports[1]})
    return {"admin": admin, "ids": ids, "all_ids": every_id, "cursors": cursors}


@pytest.mark.parametrize(("method", "path", "function"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_no_input_answers_5xx_or_writes_half_an_item(api: Api, world: dict[str, Any], method: str, path: str, function: Function):
    strategy = request_strategy(method, path, function, world)
    admin: Person = world["admin"]
    stop = time.monotonic() + BUDGET_SECONDS / len(ROUTES)  # every route gets its share of the budget
    known: list[list[dict[str, Any]]] = []  # the table as the last refused write left it (a refusal changes nothing)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not RANDOM, phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(request=strategy, ascii_body=st.booleans())
    def run(request: tuple[str, Any], ascii_body: bool) -> None:
        if time.monotonic() > stop:
            return
        url, body = request
        writes = method != "GET"
        before = (known or [snapshot()])[0] if writes else None
        raw = None if body is None else json.dumps(body, ensure_ascii=ascii_body).encode()
        reply = api.call(method, url, admin, raw=raw)
        assert reply.status < 500, f"{method} {url} with {str(body)[:500]} answered {reply.status}: {reply.body}"
        if writes:
            known.clear()
            if reply.status >= 400:
                after = snapshot()
                assert after == before, f"{method} {url} with {str(body)[:500]} answered {reply.status} but changed the table: {reply.body}"
                known.append(after)

    run()
