"""`Idempotency-Key` on every POST: a retried request answers what the first one answered.

`endpoint()` (api.py) wires it once. A POST that carries the header claims the key with a
conditional put (`IdempotencyRecord`, in the caller's organization + user scope), runs, and
stores its 2xx answer (status, body, headers) for 24 hours (`expires_at`, the table's TTL
attribute). The same key then answers:

- the same request (method, path, query and JSON body, compared by a SHA-256 fingerprint): the
  stored answer again, with `Idempotent-Replayed: true`, without running the work;
- another request: 422 `idempotency_key_reused`;
- while the first is still running: 409 `conflict` with `Retry-After: 1` (the second never waits;
  a claim whose holder died is taken over after `LOCK_SECONDS`).

Only successes are stored: a 4xx/5xx answer releases the claim (a refused request changed
nothing, so doing it again is safe and may now succeed).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from activity_tracker.errors import Conflict, DomainError, rule_violation

if TYPE_CHECKING:
    from activity_tracker.api import Caller

HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
TTL_SECONDS = 24 * 3600  # how long a key answers with its first response
LOCK_SECONDS = 30  # a claim older than this (3x the functions' timeout) belongs to a request that died
MAX_KEY_CHARS = 255
SK = "IDEM"


class KeyReused(DomainError):
    status, code = 422, "idempotency_key_reused"


def record_pk(org_id: str, user_id: str, key: str) -> str:
    """Keys are scoped per organization + user; hashed, so any printable key fits the partition key."""
    return f"ORG#{org_id}#USER#{user_id}#IDEM#{hashlib.sha256(key.encode()).hexdigest()}"


def fingerprint(event: dict[str, Any]) -> str:
    """SHA-256 of what makes two requests the same: route, path, query, and the body (as JSON
    values when it parses, so spacing and key order do not count)."""
    raw = event.get("body") or ""
    try:
        body: Any = json.loads(raw) if not event.get("isBase64Encoded") else raw
        body = json.dumps(body, sort_keys=True, separators=(",", ":"))
    except ValueError:
        body = raw
    parts = [event.get("routeKey") or "", event.get("rawPath") or "", event.get("rawQueryString") or "", body]
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _client() -> Any:
    from activity_tracker.repository.table import connection

    return connection().client


def _table() -> str:
    from activity_tracker.repository.table import TABLE_NAME

    return TABLE_NAME


@dataclass
class IdempotentRequest:
    """A POST that carries an `Idempotency-Key`; `claim` it before the work, `settle` after."""

    event: dict[str, Any]
    key: str
    pk: str = ""
    token: str = ""  # set once this request holds the claim

    @classmethod
    def of(cls, event: dict[str, Any]) -> IdempotentRequest | None:
        """The request's key, when it is a POST with the header (no I/O, never raises)."""
        method = ((event.get("requestContext") or {}).get("http") or {}).get("method") or ""
        if method.upper() != "POST":
            return None
        headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
        key = headers.get(HEADER)
        return None if key is None else cls(event, str(key))

    def claim(self, caller: Caller) -> dict[str, Any] | None:
        """Claim the key; returns the stored answer of an earlier identical request instead, or
        raises 400 (bad key), 422 (key reused with another request) or 409 (still in progress)."""
        if not 1 <= len(self.key) <= MAX_KEY_CHARS or not self.key.isascii() or not self.key.isprintable():
            raise rule_violation("header.Idempotency-Key", "idempotency_key_format", f"must be 1..{MAX_KEY_CHARS} printable ASCII characters")
        self.pk = record_pk(caller.org_id, caller.user_id, self.key)
        print_ = fingerprint(self.event)
        now = int(time.time())
        token = str(uuid.uuid4())
        item = {
            "pk": {"S": self.pk}, "sk": {"S": SK}, "type": {"S": "IDEMPOTENCY"}, "fingerprint": {"S": print_},
            "state": {"S": "in_progress"}, "claim": {"S": token}, "locked_until": {"N": str(now + LOCK_SECONDS)},
            "expires_at": {"N": str(now + TTL_SECONDS)},
        }  # fmt: skip
        client = _client()
        try:
            client.put_item(
                TableName=_table(),
                Item=item,
                # free, expired (TTL deletes late), or claimed by a request that died
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now OR (#state = :running AND locked_until < :now)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":now": {"N": str(now)}, ":running": {"S": "in_progress"}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return self._answer_of_first(print_)
        self.token = token
        return None

    def _answer_of_first(self, print_: str) -> dict[str, Any]:
        stored = _client().get_item(TableName=_table(), Key={"pk": {"S": self.pk}, "sk": {"S": SK}}, ConsistentRead=True).get("Item")
        if stored is None:  # released between our put and this read: the first failed; try again
            raise _in_progress()
        if stored["fingerprint"]["S"] != print_:
            raise KeyReused(
                "This Idempotency-Key was sent with another request.",
                [{"field": "header.Idempotency-Key", "rule": "idempotency_key_reused", "message": "a key names one request (method, path, query and body)"}],
            )
        if stored["state"]["S"] != "done":
            raise _in_progress()
        answer: dict[str, Any] = json.loads(stored["response"]["S"])
        answer["headers"] = {**answer.get("headers", {}), REPLAYED_HEADER: "true"}
        return answer

    def settle(self, answer: dict[str, Any]) -> None:
        """Store a 2xx answer under the claim, or release the claim of any other answer. Never
        raises: the answer is already decided (a failure is logged; the claim then expires)."""
        if not self.token:
            return
        key = {"pk": {"S": self.pk}, "sk": {"S": SK}}
        condition = {"ConditionExpression": "#claim = :token", "ExpressionAttributeNames": {"#claim": "claim"}, "ExpressionAttributeValues": {":token": {"S": self.token}}}
        try:
            if 200 <= int(answer["statusCode"]) < 300:
                stored = json.dumps({k: answer[k] for k in ("statusCode", "headers", "body") if k in answer})
                item = {
                    "pk": key["pk"], "sk": key["sk"], "type": {"S": "IDEMPOTENCY"}, "fingerprint": {"S": fingerprint(self.event)},
                    "state": {"S": "done"}, "claim": {"S": self.token}, "response": {"S": stored},
                    "expires_at": {"N": str(int(time.time()) + TTL_SECONDS)},
                }  # fmt: skip
                _client().put_item(TableName=_table(), Item=item, **condition)
            else:
                _client().delete_item(TableName=_table(), Key=key, **condition)
        except Exception:  # noqa: BLE001 - the answer is decided; a failure to record it is logged
            from activity_tracker.api import logger

            logger.warning("idempotency record not settled", exc_info=True)


def _in_progress() -> DomainError:
    error = Conflict("A request with this Idempotency-Key is still in progress; try again shortly.")
    error.details = [{"field": "header.Idempotency-Key", "rule": "idempotency_key_in_progress", "message": "the first request has not answered yet"}]
    error.headers = {"Retry-After": "1"}
    return error
