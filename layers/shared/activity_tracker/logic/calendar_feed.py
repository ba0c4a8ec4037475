"""`/api/calendar/feed`: a secret URL per user that calendar apps subscribe to without a token.

POST creates (or rotates) the URL, DELETE revokes it; `GET /api/calendar/feed/{token}.ics` is public
(no authorizer in template.yaml): the token in the path is the only key. It is 256 random bits
(`secrets.token_urlsafe(32)`), stored only as its SHA-256; the feed answers 404 for an unknown,
rotated or revoked token, or a deactivated user. Each token may be read `FEED_REQUESTS_PER_HOUR`
times per UTC hour (429 with Retry-After beyond), on top of the route's throttling in template.yaml.
The answer carries an ETag; `If-None-Match` with it answers 304 without a body, and (once the
feed's latest change is a minute old) from the token's lookup alone: one call (see SETTLE).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import timedelta
from typing import Any

from activity_tracker import keys
from activity_tracker.api import Request, Response
from activity_tracker.clock import now, now_iso
from activity_tracker.errors import Conflict, NotFound, RateLimited
from activity_tracker.repository import activities as activity_items
from activity_tracker.repository import calendars
from activity_tracker.repository.batch import get_many
from activity_tracker.repository.learning import ClassItem, UserActivityItem
from activity_tracker.repository.table import records
from activity_tracker.repository.users import UserItem, is_profile

FEED_DAYS = 90  # logged activities of the last 90 days; classes whatever their date
FEED_REQUESTS_PER_HOUR = 60
TOKEN_BYTES = 32
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # token_urlsafe(32): 43 characters
FEED_PATH = "/api/calendar/feed/"
FEED_FORMAT = 2  # part of every ETag: a change of what the feed writes must change its tags
# The ETag of a settled feed is a fingerprint of what it shows, read without reading anything but the
# token: its `feed_stamp`, which the stream consumer moves whenever something the feed shows changes
# (stream/feed_stamps.py), and the window's first day (the window slides past activities daily). So a
# poll of an unchanged feed is one call: the token's UpdateItem, which counts the rate and returns the
# stamp. The stamp lags a change by the stream's lag (seconds). Its time is the stream record's
# ApproximateCreationDateTime, which DynamoDB rounds down (to the minute on DynamoDB Local), and the
# activities come from GSI1, which may lag the table for a moment: until SETTLE after the stamp's
# time, the tag is the hash of the bytes instead, so a body read before every change of that minute
# was visible is never cached under the stamp (stream sequence numbers order records of one shard
# only: within a minute they are a tie-break, not a clock).
SETTLE = timedelta(seconds=120)  # the stamp's rounding (up to a minute) plus a minute for the indexes


def _url(request: Request, token: str) -> str:
    """The feed's absolute URL, on the host and stage the request came through."""
    headers = {str(k).lower(): str(v) for k, v in (request.event.get("headers") or {}).items()}
    host = headers.get("host") or str((request.event.get("requestContext") or {}).get("domainName") or "localhost")
    scheme = headers.get("x-forwarded-proto") or ("http" if host.split(":")[0] in ("127.0.0.1", "localhost") else "https")
    raw_path = str(request.event.get("rawPath") or "/api/calendar/feed")
    prefix = raw_path[: raw_path.find("/api/")] if "/api/" in raw_path else ""  # a named stage: /dev/api/...
    return f"{scheme}://{host}{prefix}{FEED_PATH}{token}.ics"


def create_feed(request: Request, user: Any) -> Response:
    """Create your secret calendar feed URL, or rotate it (the old URL stops working at once)."""
    org_id = request.caller.org_id
    pointer = calendars.feed_pointer(org_id, user.id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    moment = now_iso()
    try:
        calendars.replace_feed(org_id, user.id, pointer, calendars.token_hash(token), moment)
    except calendars.FeedChanged:
        raise Conflict("Your feed was changed by another request at the same time; try again.") from None
    return Response(201, {"url": _url(request, token), "created_at": moment})


def revoke_feed(request: Request, user: Any) -> Response:
    """Revoke your calendar feed URL (204 also when there is none)."""
    org_id = request.caller.org_id
    pointer = calendars.feed_pointer(org_id, user.id)
    if pointer is not None:
        try:
            calendars.replace_feed(org_id, user.id, pointer, None, now_iso())
        except calendars.FeedChanged:
            raise Conflict("Your feed was changed by another request at the same time; try again.") from None
    return Response(204)


def _matches(request: Request, etag: str) -> bool:
    headers = {str(k).lower(): str(v) for k, v in (request.event.get("headers") or {}).items()}
    sent = headers.get("if-none-match")
    return sent is not None and (sent.strip() == "*" or etag in {tag.strip().removeprefix("W/") for tag in sent.split(",")})


def get_feed(request: Request, user: Any) -> Response:
    """The calendar feed of a secret URL (public: the token is the key): classes and activities."""
    token = request.path.get("token", "").removesuffix(".ics")
    if not TOKEN.fullmatch(token):
        raise NotFound("calendar feed")
    moment = now()
    window = moment.strftime("%Y-%m-%dT%H")
    found, allowed = calendars.use_feed_token(calendars.token_hash(token), window, FEED_REQUESTS_PER_HOUR)
    if found is None:
        raise NotFound("calendar feed")
    if not allowed:
        next_hour = moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        raise RateLimited(
            f"A feed URL may be read {FEED_REQUESTS_PER_HOUR} times an hour.",
            [{"field": "path.token", "rule": "calendar_feed_rate", "message": f"at most {FEED_REQUESTS_PER_HOUR} reads an hour"}],
            int((next_hour - moment).total_seconds()) + 1,
        )
    org_id, user_id = str(found["organization_id"]), str(found["user_id"])
    since = (moment - timedelta(days=FEED_DAYS)).strftime("%Y-%m-%d")
    stamp = str(found.get("feed_stamp") or "")
    settled = calendars.seconds_of(stamp) <= moment.timestamp() - SETTLE.total_seconds()
    fingerprint = _tag(json.dumps([FEED_FORMAT, user_id, since, stamp]))
    headers = {"Cache-Control": "private, max-age=300"}
    if settled and _matches(request, fingerprint):  # nothing the feed shows changed: the token's UpdateItem was the only call
        return Response(304, None, {**headers, "ETag": fingerprint})
    memberships = list(records(UserActivityItem, keys.user_pk(org_id, user_id), UserActivityItem.sk.startswith(keys.USER_ACTIVITIES_PREFIX), page_size=100))
    wanted: list[tuple[type, str, str]] = [(UserItem, keys.user_pk(org_id, user_id), keys.PROFILE_SK)]
    wanted += [(ClassItem, keys.class_pk(org_id, class_id), keys.CLASS_SK) for class_id in sorted({m.class_id for m in memberships})]
    items = get_many(wanted, consistent=False)
    profile = items.pop((keys.user_pk(org_id, user_id), keys.PROFILE_SK), None)
    if profile is None or not is_profile(profile) or not profile.active:
        raise NotFound("calendar feed")
    classes = sorted(items.values(), key=lambda c: c.id)
    logged = activity_items.query(activity_items.ActivityItem.by_user, keys.activities_of_user(org_id, user_id), activity_items.by_date(since, None), None, 100, None)
    # activities imported from a calendar are already in that calendar: the feed leaves them out
    activities = [a for a in logged if not a.deleted_at and not a.calendar_event_uid]
    from activity_tracker.calendars.render import render

    body = render(classes, activities, user_id=user_id)
    etag = fingerprint if settled else _tag(body, "u")  # a change of the last minute: the bytes' own tag (see SETTLE)
    if _matches(request, etag):
        return Response(304, None, {**headers, "ETag": etag})
    return Response(200, body, {**headers, "ETag": etag, "content-type": "text/calendar; charset=utf-8", "content-disposition": 'inline; filename="activity-tracker.ics"'})


def _tag(text: str, prefix: str = "") -> str:
    return f'"{prefix}{hashlib.sha256(text.encode()).hexdigest()[:32]}"'
