"""Calendar items: the import guard of each imported event occurrence, and the feed token.

- `ORG#o#USER#u#CALEVENT#<digest> / CALEVENT`: the activity an event occurrence (UID,
  RECURRENCE-ID) of user u became. Written in the activity's own transaction (repository
  activities.write's `extra`), so an occurrence is imported once even by two imports at once.
- `ORG#o#USER#u / CALFEED`: the hash of the user's current feed token.
- `CALFEED#<sha256 of the token> / CALFEED`: who the token serves, its per-hour request count, and
  `feed_stamp`: moved by the stream consumer whenever the feed's content changes (stream/feed_stamps.py).
"""

from __future__ import annotations

import hashlib
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from activity_tracker import keys
from activity_tracker.repository.batch import get_many
from activity_tracker.repository.table import TableItem, connection, transaction


def event_digest(uid: str, recurrence_id: str) -> str:
    """A fixed-size key part for an occurrence: UIDs are free text of any length."""
    return hashlib.sha256(f"{uid}\n{recurrence_id}".encode()).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarEventGuard(TableItem):
    activity_id = UnicodeAttribute()
    uid = UnicodeAttribute()
    recurrence_id = UnicodeAttribute()


def event_guard(org_id: str, user_id: str, uid: str, recurrence_id: str, activity_id: str) -> CalendarEventGuard:
    return CalendarEventGuard(
        keys.calendar_event_guard(org_id, user_id, event_digest(uid, recurrence_id)), keys.CALENDAR_EVENT_SK,
        entity="CALENDAR_EVENT_GUARD", activity_id=activity_id, uid=uid, recurrence_id=recurrence_id,
    )  # fmt: skip


def imported(org_id: str, user_id: str, occurrences: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """{(uid, recurrence_id): activity_id} of the occurrences the user imported before (BatchGetItem, 100 a call)."""
    wanted = {keys.calendar_event_guard(org_id, user_id, event_digest(uid, rid)): (uid, rid) for uid, rid in occurrences}
    found = get_many([(CalendarEventGuard, pk, keys.CALENDAR_EVENT_SK) for pk in wanted])
    return {wanted[pk]: guard.activity_id for (pk, _), guard in found.items()}


class FeedPointer(TableItem):
    token_hash = UnicodeAttribute()
    created_at = UnicodeAttribute()


class FeedToken(TableItem):
    organization_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    rate_window = UnicodeAttribute(null=True)
    rate_count = NumberAttribute(null=True)
    feed_stamp = UnicodeAttribute(null=True)  # "<epoch seconds, 11 digits>#<stream sequence number, 40 digits>"


def stamp_at(seconds: int) -> str:
    """The feed stamp of a moment, ordered before every stream record written at or after it (a new
    token's first stamp). Rounded down to the minute, as stream records' times may be."""
    return f"{int(seconds) // 60 * 60:011d}#"


def seconds_of(stamp: str) -> int:
    """The epoch seconds of a feed stamp (0 for none)."""
    head = stamp.split("#", 1)[0]
    return int(head) if head.isdigit() else 0


def feed_pointer(org_id: str, user_id: str) -> FeedPointer | None:
    try:
        return FeedPointer.get(keys.user_pk(org_id, user_id), keys.CALENDAR_FEED_SK, consistent_read=True)
    except DoesNotExist:
        return None


class FeedChanged(Exception):
    """Another rotation or revocation of the same feed happened at the same time."""


def replace_feed(org_id: str, user_id: str, old: FeedPointer | None, new_hash: str | None, moment: str) -> None:
    """One transaction: the user's pointer names `new_hash` (or goes, for None), the old token's
    lookup item goes, the new one comes, stamped with `moment`. Conditioned on the pointer read (`old`)."""
    from datetime import datetime

    stamp = stamp_at(int(datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp()))
    pk = keys.user_pk(org_id, user_id)
    try:
        with transaction() as tx:
            if new_hash is not None:
                pointer = FeedPointer(pk, keys.CALENDAR_FEED_SK, entity="CALENDAR_FEED", token_hash=new_hash, created_at=moment)
                condition = FeedPointer.pk.does_not_exist() if old is None else FeedPointer.token_hash == old.token_hash
                tx.save(pointer, condition=condition)
                tx.save(FeedToken(keys.calendar_feed_token(new_hash), keys.CALENDAR_FEED_SK, entity="CALENDAR_FEED_TOKEN", organization_id=org_id, user_id=user_id, created_at=moment, feed_stamp=stamp),
                        condition=FeedToken.pk.does_not_exist())  # fmt: skip
            elif old is not None:
                tx.delete(FeedPointer(pk, keys.CALENDAR_FEED_SK), condition=FeedPointer.token_hash == old.token_hash)
            if old is not None:
                tx.delete(FeedToken(keys.calendar_feed_token(old.token_hash), keys.CALENDAR_FEED_SK))
    except TransactWriteError as error:
        if "ConditionalCheckFailed" in [getattr(r, "code", None) for r in (error.cancellation_reasons or [])]:
            raise FeedChanged from None
        raise


def use_feed_token(hashed: str, window: str, limit: int) -> tuple[dict[str, Any] | None, bool]:
    """Count one request of the token in the current `window` (e.g. the UTC hour) and return its
    item: (item, allowed). (None, False): no such token. One UpdateItem on the common path (the
    same window, under the limit); a new window resets the count (a second UpdateItem)."""
    from botocore.exceptions import ClientError

    from activity_tracker.repository.table import TABLE_NAME, plain_item

    client = connection().client
    key = {"pk": {"S": keys.calendar_feed_token(hashed)}, "sk": {"S": keys.CALENDAR_FEED_SK}}
    attempts = [
        ("SET rate_count = rate_count + :one", "rate_window = :window AND rate_count < :limit"),
        ("SET rate_window = :window, rate_count = :one", "attribute_exists(pk) AND (attribute_not_exists(rate_window) OR rate_window <> :window)"),
    ]
    values = {":one": {"N": "1"}, ":window": {"S": window}, ":limit": {"N": str(limit)}}
    old: dict[str, Any] | None = None
    for update, condition in attempts:
        used = {name: value for name, value in values.items() if name in update or name in condition}
        try:
            answer = client.update_item(
                TableName=TABLE_NAME, Key=key, UpdateExpression=update, ConditionExpression=condition, ExpressionAttributeValues=used,
                ReturnValues="ALL_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )  # fmt: skip
            return plain_item(answer.get("Attributes")), True
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            old = plain_item(error.response.get("Item")) or old
    return old, False

