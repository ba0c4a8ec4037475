"""Feed stamps, written by the stream consumer: the calendar feed's token item
(`CALFEED#<hash> / CALFEED`) holds `feed_stamp`, which moves whenever something the user's feed
shows changes, so a poll of an unchanged feed is answered from the token's own UpdateItem (the one
that counts its hourly rate) with 304, in one call (logic/calendar_feed.py).

What moves a user's stamp: a change of their activity dated inside the feed's window (old or new
image), of a user activity of theirs (joining, leaving, booking a class), of a class they host or
belong to (host, participants and members of the old and new image: status, time, title, cancel,
membership), and a change of their profile's `active` (a deactivated user's feed answers 404).

The stamp of a record is `<ApproximateCreationDateTime, 11 digits>#<sequence number, 40 digits>`;
a batch writes each user's highest stamp with the condition `feed_stamp < :stamp`, so a redelivered
or late record never moves it backwards and writes nothing new. Only users with a feed are written:
their pointers (`ORG#o#USER#u / CALFEED`) are read in one BatchGetItem per batch (100 users a call),
and a user without one costs no write.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from activity_tracker import keys
from activity_tracker.repository.table import TABLE_NAME, connection
from activity_tracker.stream.images import Change

FEED_DAYS = 90  # logic.calendar_feed.FEED_DAYS (the logic layer imports the stream, not the other way round)
WINDOW_MARGIN_DAYS = 2  # activity_date is UTC: a margin around the window's first day


def stamp_of(change: Change) -> str:
    """The record's place in time: when DynamoDB wrote it, then its sequence number."""
    moment = change.approximate_at if change.approximate_at is not None else int(time.time())
    return f"{int(moment):011d}#{int(change.sequence):040d}"


def _images(change: Change) -> list[dict[str, Any]]:
    return [image for image in (change.old, change.new) if image]


def users_of(change: Change, window_start: str) -> set[tuple[str, str]]:
    """(organization, user) of every feed the record's change shows in."""
    kind, images = change.entity, _images(change)
    out: set[tuple[str, str]] = set()
    if kind == "ACTIVITY":
        if any(str(image.get("activity_date") or "") >= window_start for image in images):
            out |= {(image["organization_id"], image["user_id"]) for image in images if image.get("user_id")}
    elif kind == "USER_ACTIVITY":
        out |= {(image["organization_id"], image["user_id"]) for image in images if image.get("user_id")}
    elif kind == "CLASS":
        for image in images:
            org = image["organization_id"]
            members = {image.get("host_id"), *(image.get("participant_ids") or [])}
            members |= {str(member).split("|", 1)[0] for member in image.get("member_activities") or []}
            out |= {(org, user) for user in members if user}
    elif kind == "USER" and change.old and change.new and change.old.get("active") != change.new.get("active"):
        if change.new.get("organization_id") and change.new.get("id"):
            out.add((change.new["organization_id"], change.new["id"]))
    return out


def apply(changes: list[Change], client: Any = None) -> list[str]:
    """Move the feed stamps of a batch's records; returns the eventIDs whose stamps could not be
    written (reported as batch item failures, so Lambda delivers them again)."""
    from botocore.exceptions import BotoCoreError, ClientError

    window_start = (datetime.now(UTC) - timedelta(days=FEED_DAYS + WINDOW_MARGIN_DAYS)).strftime("%Y-%m-%d")
    wanted: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for change in changes:
        for user in users_of(change, window_start):
            stamp, events = wanted.get(user, ("", []))
            wanted[user] = (max(stamp, stamp_of(change)), [*events, change.event_id])
    if not wanted:
        return []
    client = client or connection().client
    failed: set[str] = set()
    pointers: dict[str, str] = {}  # user partition -> token hash
    by_partition = {keys.user_pk(org, user): (org, user) for org, user in wanted}
    pending = [{"pk": {"S": pk}, "sk": {"S": keys.CALENDAR_FEED_SK}} for pk in by_partition]
    try:
        for start in range(0, len(pending), 100):  # BatchGetItem's limit
            request: dict[str, Any] = {TABLE_NAME: {"Keys": pending[start : start + 100], "ConsistentRead": True, "ProjectionExpression": "pk, token_hash"}}
            for attempt in range(6):
                response = client.batch_get_item(RequestItems=request)
                pointers |= {raw["pk"]["S"]: raw["token_hash"]["S"] for raw in response.get("Responses", {}).get(TABLE_NAME, []) if "token_hash" in raw}
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(0.05 * 2**attempt)
            if request:
                raise RuntimeError("feed pointers left unprocessed")
    except (BotoCoreError, ClientError, RuntimeError):
        return sorted({event for _, events in wanted.values() for event in events})
    for pk, hashed in pointers.items():
        stamp, events = wanted[by_partition[pk]]
        try:
            client.update_item(
                TableName=TABLE_NAME, Key={"pk": {"S": keys.calendar_feed_token(hashed)}, "sk": {"S": keys.CALENDAR_FEED_SK}},
                UpdateExpression="SET feed_stamp = :stamp",
                ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(feed_stamp) OR feed_stamp < :stamp)",
                ExpressionAttributeValues={":stamp": {"S": stamp}},
            )  # fmt: skip
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":  # already as new, or the token is gone
                failed |= set(events)
        except BotoCoreError:
            failed |= set(events)
    return sorted(failed)
