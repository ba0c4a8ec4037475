"""Stream records as plain values: images deserialized, sequence numbers as integers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set)):
        return [_plain(v) for v in value]
    return value


def deserialize(image: dict[str, Any] | None) -> dict[str, Any] | None:
    if not image:
        return None
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {key: _plain(deserializer.deserialize(value)) for key, value in image.items()}


@dataclass(frozen=True)
class Change:
    """One stream record: its id (the same on every redelivery), position, and the item before and after."""

    event_id: str
    sequence: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    approximate_at: int | None = None  # ApproximateCreationDateTime: when DynamoDB wrote the change (epoch seconds)

    @property
    def entity(self) -> str | None:
        return (self.new or self.old or {}).get("type")


def lambda_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A record of DynamoDB Streams' GetRecords in the shape Lambda passes to a stream function."""
    from datetime import datetime

    data = dict(record["dynamodb"])
    created = data.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        data["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": data,
        "eventSourceARN": stream_arn,
    }


def change_of(record: dict[str, Any]) -> Change:
    data = record["dynamodb"]
    created = data.get("ApproximateCreationDateTime")
    return Change(
        record["eventID"], str(data["SequenceNumber"]), deserialize(data.get("OldImage")), deserialize(data.get("NewImage")),
        int(created) if isinstance(created, (int, float)) else None,
    )  # fmt: skip
