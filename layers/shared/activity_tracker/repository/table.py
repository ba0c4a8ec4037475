"""The single table: its PynamoDB base model, indexes and connection settings.

Every item has `pk`, `sk` and `type` (the entity, which stream filters match on). Table name and
region come from the environment; the endpoint from botocore's `AWS_ENDPOINT_URL` (local runs).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any, cast

from pynamodb.attributes import UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, LocalSecondaryIndex
from pynamodb.models import MetaProtocol, Model
from pynamodb.transactions import TransactWrite

from activity_tracker.settings import DEFAULT_TABLE_NAME

REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-north-1"
TABLE_NAME = os.environ.get("TABLE_NAME", DEFAULT_TABLE_NAME)


class TableMeta:
    table_name = TABLE_NAME
    region = REGION
    max_retry_attempts = 3
    connect_timeout_seconds = 2
    read_timeout_seconds = int(os.environ.get("DYNAMODB_READ_TIMEOUT_SECONDS", "5"))


class TableItem(Model):
    # pynamodb fills in the settings TableMeta leaves out, so it is a whole MetaProtocol at runtime.
    Meta = cast(MetaProtocol, TableMeta)
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entity = UnicodeAttribute(attr_name="type")


def _index_meta(name: str) -> Any:
    """An index's Meta class, built at runtime (pynamodb types `Index.Meta` as Any)."""
    return type("Meta", (), {"index_name": name, "projection": AllProjection(), "table_name": TABLE_NAME, "region": REGION})


class Gsi1(GlobalSecondaryIndex):
    Meta = _index_meta("gsi1")
    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex):
    Meta = _index_meta("gsi2")
    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Gsi3(GlobalSecondaryIndex):
    Meta = _index_meta("gsi3")
    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class Gsi4(GlobalSecondaryIndex):
    Meta = _index_meta("gsi4")
    gsi4pk = UnicodeAttribute(hash_key=True)
    gsi4sk = UnicodeAttribute(range_key=True)


class Gsi5(GlobalSecondaryIndex):
    """The change index of offline sync: `keys.changes_of_*` by `keys.change_sk`."""

    Meta = _index_meta("gsi5")
    gsi5pk = UnicodeAttribute(hash_key=True)
    gsi5sk = UnicodeAttribute(range_key=True)


class Lsi1(LocalSecondaryIndex):
    Meta = _index_meta("lsi1")
    pk = UnicodeAttribute(hash_key=True)
    lsi1sk = UnicodeAttribute(range_key=True)


_connection: Connection | None = None


def connection() -> Connection:
    """One low-level connection per container, for transactions."""
    global _connection
    if _connection is None:
        _connection = Connection(region=REGION)
    return _connection


def transaction() -> TransactWrite:
    """A TransactWrite with a ClientRequestToken of its own. botocore retries a transaction whose
    answer it did not get (a timeout, a reset connection, a 500); without the token a retry of one
    that was applied fails its own conditions and a success would read as a conflict. With it,
    DynamoDB answers the retry as the first (for 10 minutes)."""
    return TransactWrite(connection=connection(), client_request_token=str(uuid.uuid4()))


def write_transaction(client: Any, actions: list[dict[str, Any]]) -> Any:
    """TransactWriteItems with the low-level client, idempotent under retries as `transaction()`."""
    return client.transact_write_items(TransactItems=actions, ClientRequestToken=str(uuid.uuid4()))


def cancellation_codes(error: Any) -> list[str | None]:
    """Why DynamoDB cancelled a transaction, item by item in request order (None: that item was
    fine): `ConditionalCheckFailed`, or `TransactionConflict` when a concurrent write held an item."""
    return [getattr(reason, "code", None) for reason in (getattr(error, "cancellation_reasons", None) or [])]


def query_items(request: dict[str, Any], client: Any = None) -> Iterator[dict[str, Any]]:
    """Every raw item a low-level Query of the table answers, one page (at most 1 MB) at a time."""
    request = {"TableName": TABLE_NAME, **request}
    client = client or connection().client
    while True:
        page = client.query(**request)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


CONFLICT_ATTEMPTS = 5  # a write that met a concurrent transaction on one of its items: tries in all


def met_a_transaction(error: Exception) -> bool:
    """Whether a pynamodb write failed only because another transaction held one of its items
    (TransactionConflict): nothing was written and nothing of ours was refused, so it may be retried."""
    if getattr(error, "cause_response_code", None) == "TransactionConflictException":
        return True
    codes = [getattr(reason, "code", None) for reason in (getattr(error, "cancellation_reasons", None) or [])]
    return "TransactionConflict" in codes and "ConditionalCheckFailed" not in codes


def wait_before_retry(attempt: int) -> None:
    """Jittered exponential backoff (20, 40, 80 ms, ...) so racing writers do not meet again."""
    import random
    import time

    time.sleep((0.02 * 2**attempt) * (0.5 + random.random()))
