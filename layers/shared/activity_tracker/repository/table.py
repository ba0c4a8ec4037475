"""The single table: its PynamoDB base model, indexes and connection settings.

Every item has `pk`, `sk` and `type` (the entity, which stream filters match on). Table name and
region come from the environment; the endpoint from botocore's `AWS_ENDPOINT_URL` (local runs).

One botocore client per container serves every call (PynamoDB would give each model class a
session and client of its own: about 55 ms of CPU and 12 MB more on a cold start for every model a
request touches).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, cast

from pynamodb.attributes import UnicodeAttribute
from pynamodb.connection import Connection, TableConnection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, LocalSecondaryIndex
from pynamodb.models import MetaProtocol, Model

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

    @classmethod
    def _get_connection(cls) -> TableConnection:
        """The model's PynamoDB connection (its own table schema), on the container's one botocore client."""
        fresh = cls._connection is None
        table = super()._get_connection()
        if fresh:
            table.connection._client = connection().client
        return table


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


class Lsi1(LocalSecondaryIndex):
    Meta = _index_meta("lsi1")
    pk = UnicodeAttribute(hash_key=True)
    lsi1sk = UnicodeAttribute(range_key=True)


_connection: Connection | None = None


def connection() -> Connection:
    """One low-level connection per container, and so one botocore client, with the table's
    timeouts and retries: transactions, raw reads and (see TableItem) every model's calls."""
    global _connection
    if _connection is None:
        _connection = Connection(
            region=REGION, connect_timeout_seconds=TableMeta.connect_timeout_seconds, read_timeout_seconds=TableMeta.read_timeout_seconds,
            max_retry_attempts=TableMeta.max_retry_attempts,
        )  # fmt: skip
    return _connection


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
