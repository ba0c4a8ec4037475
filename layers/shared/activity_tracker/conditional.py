"""Conditional requests on every mutable resource (activities, contacts, users, the organization,
classes): the `ETag` is the resource's `version` (`"v3"`), `If-Match` on a change is checked against
it (412 `precondition_failed`), and the write itself is conditioned on the version it matched, so a
change between the read and the write is refused too (docs/decisions.md, Conditional requests).

An item written before it had a `version` counts as version 0 (`"v0"`); its first versioned write
makes it 1."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from activity_tracker.errors import PreconditionFailed

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
    message = f"current ETag is {current}" if current else "it changed while the request ran"
    return PreconditionFailed(
        f"The {what} changed since you read it (If-Match does not name its ETag).",
        [{"field": "header.If-Match", "rule": "precondition_failed", "message": message}],
    )


def check_if_match(request: Request, item: Any, what: str) -> int | None:
    """412 when `If-Match` names none of `*` and the item's ETag. Returns the version the write
    that follows must still find (None: no `If-Match`, the write is unconditional on it)."""
    tags = if_match(request)
    if tags is None:
        return None
    if "*" not in tags and etag(item) not in tags:
        raise precondition_failed(what, etag(item))
    return version_of(item)


def version_condition(attribute: Any, expected: int) -> Any:
    """A DynamoDB condition that the item still has version `expected` (0: never versioned)."""
    return attribute.does_not_exist() if expected == 0 else attribute == expected


def with_etag(body: Any, item: Any, status: int = 200) -> Response:
    """An answer carrying the item's ETag."""
    from activity_tracker.api import Response

    return Response(status, body, {"ETag": etag(item)})
