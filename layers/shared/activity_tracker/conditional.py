"""Conditional requests on every mutable resource (activities, contacts, users, the organization,
classes): the `ETag` is the resource's `version` (`"v3"`), `If-Match` on a change is checked against
it (412 `precondition_failed`), and the write itself is conditioned on the version it matched, so a
change between the read and the write is refused too (docs/decisions.md, Conditional requests).

An item written before it had a `version` counts as version 0 (`"v0"`); its first versioned write
makes it 1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from activity_tracker.errors import Conflict, PreconditionFailed

if TYPE_CHECKING:
    from activity_tracker.api import Request, Response


def version_of(item: Any) -> int:
    """An item's version: 0 for one written before versions existed."""
    return int(getattr(item, "version", None) or 0)


def etag(item: Any) -> str:
    """A resource's entity tag: its version (every change through the API moves it)."""
    return f'"v{version_of(item)}"'


def if_match(request: Request) -> set[str] | None:
    """The entity tags `If-Match` names (a weak `W/` prefix dropped), None without the header."""
    headers = {str(k).lower(): str(v) for k, v in (request.event.get("headers") or {}).items()}
    sent = headers.get("if-match")
    if sent is None:
        return None
    return {tag.strip().removeprefix("W/") for tag in sent.split(",")}


def precondition_failed(what: str, current: str | None) -> PreconditionFailed:
    message = f"current ETag is {current}" if current else "read it again for its current ETag"
    return PreconditionFailed(
        f"The {what} changed since you read it (If-Match does not name its ETag).",
        [{"field": "header.If-Match", "rule": "precondition_failed", "message": message}],
    )


def check_if_match(request: Request, item: Any, what: str) -> None:
    """412 when `If-Match` names none of `*` and the ETag of `item` as read (activities: read
    strongly consistent, their write conditioned on the version read; see `stale_write_is_412`)."""
    tags = if_match(request)
    if tags is not None and "*" not in tags and etag(item) not in tags:
        raise precondition_failed(what, etag(item))


@contextmanager
def stale_write_is_412(request: Request, what: str) -> Iterator[None]:
    """With `If-Match`, a write refused because the item moved on since it was read (409
    `version_conflict`) answers 412, as a mismatch found before the write does."""
    try:
        yield
    except Conflict as error:
        if error.code == "version_conflict" and if_match(request) is not None:
            raise precondition_failed(what, None) from None
        raise


def required_versions(request: Request, what: str) -> frozenset[int] | None:
    """The versions `If-Match` names, which the write must still find (None: no `If-Match`, or `*`).
    The write is conditioned on them, so the check is atomic: no read in between can go stale. A
    header naming no ETag of ours can never match: 412 at once."""
    tags = if_match(request)
    if tags is None or "*" in tags:
        return None
    versions = frozenset(int(tag[2:-1]) for tag in tags if len(tag) > 3 and tag.startswith('"v') and tag.endswith('"') and tag[2:-1].isdigit() and len(tag) < 24)
    if not versions:
        raise precondition_failed(what, None)
    return versions


def check_unchanged(item: Any, versions: frozenset[int] | None, what: str) -> None:
    """For a change that writes nothing (an empty PATCH): 412 when the item as read is at none of
    the `If-Match` versions."""
    if versions is not None and version_of(item) not in versions:
        raise precondition_failed(what, etag(item))


def version_condition(attribute: Any, versions: int | frozenset[int]) -> Any:
    """A DynamoDB condition that the item still has one of `versions` (0: never versioned)."""
    wanted = sorted({versions} if isinstance(versions, int) else versions)
    stored = [v for v in wanted if v]
    condition = attribute.is_in(*stored) if stored else None
    if 0 in wanted:
        condition = attribute.does_not_exist() if condition is None else condition | attribute.does_not_exist()
    return condition


def with_etag(body: Any, item: Any, status: int = 200) -> Response:
    """An answer carrying the item's ETag."""
    from activity_tracker.api import Response

    return Response(status, body, {"ETag": etag(item)})
