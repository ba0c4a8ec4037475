"""The single table: its PynamoDB base model, indexes and connection settings, and the plain
reads that serve the read paths without a model object per item.

Every item has `pk`, `sk` and `type` (the entity, which stream filters match on). Table name and
region come from the environment; the endpoint from botocore's `AWS_ENDPOINT_URL` (local runs).

One botocore client per container serves every call (PynamoDB would give each model class a
session and client of its own: about 55 ms of CPU and 12 MB more on a cold start for every model a
request touches). Writes, conditions and transactions go through PynamoDB; reads that only answer
(lists, the export, the recount) turn raw items into plain records (`records`, `plain_item`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

from pynamodb.attributes import UnicodeAttribute
from pynamodb.connection import Connection, TableConnection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, Index, LocalSecondaryIndex
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
    """One low-level connection per container, and so one botocore client, with the table's
    timeouts and retries: transactions, raw reads and (see TableItem) every model's calls."""
    global _connection
    if _connection is None:
        _connection = Connection(
            region=REGION, connect_timeout_seconds=TableMeta.connect_timeout_seconds, read_timeout_seconds=TableMeta.read_timeout_seconds,
            max_retry_attempts=TableMeta.max_retry_attempts,
        )  # fmt: skip
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


class VersionChanged(Exception):
    """The item is no longer at one of the versions the write expected (If-Match)."""


def update_versioned(item: Model, changes: dict[str, Any], *, actor: str, expected_versions: frozenset[int] | None) -> None:
    """One UpdateItem of a versioned item (user, organization): `changes`, `updated_at`, the version
    up by one and `actor` as `updated_by`; with `expected_versions` conditioned on the item still
    being at one of them (atomic If-Match), else `VersionChanged`."""
    from pynamodb.exceptions import UpdateError

    from activity_tracker.clock import now_iso
    from activity_tracker.conditional import version_condition

    model: Any = type(item)
    actions = [getattr(model, name).set(value) for name, value in changes.items()]
    actions += [model.updated_at.set(now_iso()), model.version.add(1), model.updated_by.set(actor)]
    condition = model.pk.exists()
    if expected_versions is not None:
        condition &= version_condition(model.version, expected_versions)
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as error:
        if expected_versions is not None and error.cause_response_code == "ConditionalCheckFailedException":
            raise VersionChanged() from None
        raise


def plain(value: dict[str, Any]) -> Any:
    """One raw attribute value as Python: numbers as int (float when not whole), sets as sets."""
    ((kind, raw),) = value.items()
    if kind == "S" or kind == "BOOL":
        return raw
    if kind == "N":
        return _number(raw)
    if kind == "NULL":
        return None
    if kind == "M":
        return {name: plain(inner) for name, inner in raw.items()}
    if kind == "L":
        return [plain(inner) for inner in raw]
    if kind == "SS" or kind == "BS":
        return set(raw)
    if kind == "NS":
        return {_number(n) for n in raw}
    return raw  # B


def _number(raw: str) -> int | float:
    try:
        return int(raw)
    except ValueError:
        number = Decimal(raw)
        return int(number) if number == number.to_integral_value() else float(number)


def plain_item(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """A raw item as a dict of Python values (what boto3's TypeDeserializer gives, numbers as int or
    float instead of Decimal), without importing boto3."""
    return {name: plain(value) for name, value in item.items()} if item else None


_readers: dict[type[Model], Callable[[dict[str, Any]], SimpleNamespace]] = {}


def reader(model: type[Model]) -> Callable[[dict[str, Any]], SimpleNamespace]:
    """Raw item -> a record with the model's attributes, as PynamoDB would read them (its
    deserializers, its defaults for absent attributes), but no model object: a tenth of the CPU.
    Records serve answers (DTOs, cursors); an item that is written back is read as its model."""
    if model not in _readers:
        fields = [(name, a.attr_name, a.attr_type, a.deserialize, a.default) for name, a in model.get_attributes().items()]

        def read(item: dict[str, Any]) -> SimpleNamespace:
            values = {}
            for name, stored, kind, deserialize, default in fields:
                value = item.get(stored)
                if value is None or "NULL" in value:
                    values[name] = default() if callable(default) else default
                else:
                    values[name] = deserialize(value[kind])
            return SimpleNamespace(**values)

        _readers[model] = read
    return _readers[model]


def records(
    source: type[Model] | Index[Any], partition: str, range_key_condition: Any = None, *, filter_condition: Any = None,
    scan_index_forward: bool | None = None, page_size: int, start: dict[str, Any] | None = None, consistent_read: bool = False,
) -> Iterator[SimpleNamespace]:  # fmt: skip
    """What `Model.query` / `Index.query` yields, as records (see `reader`): the request is built by
    PynamoDB (key and filter conditions), `page_size` items a page; stop iterating to stop reading."""
    model = source._model if isinstance(source, Index) else source
    index_name = source.Meta.index_name if isinstance(source, Index) else None
    table, read = model._get_connection(), reader(model)
    while True:
        page = table.query(
            partition, range_key_condition=range_key_condition, filter_condition=filter_condition, consistent_read=consistent_read,
            exclusive_start_key=start, index_name=index_name, limit=page_size, scan_index_forward=scan_index_forward,
        )  # fmt: skip
        for item in page.get("Items", []):
            yield read(item)
        start = page.get("LastEvaluatedKey")
        if not start:
            return


if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    # In Lambda, make the client while the module loads: the init phase of an on-demand function
    # runs on a full vCPU, a request only on its memory's share (at 512 MB under a third of one).
    connection().client  # noqa: B018
