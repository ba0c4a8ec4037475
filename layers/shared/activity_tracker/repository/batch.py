"""BatchGetItem across entity types in one round trip (≤ 100 keys, AWS's limit, enforced here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pynamodb.models import Model

from activity_tracker.repository.table import TABLE_NAME, connection

MAX_KEYS = 100


def get_many(wanted: Sequence[tuple[type[Model], str, str]], *, consistent: bool = True) -> dict[tuple[str, str], Any]:
    """`{(pk, sk): item}` for the items that exist among `wanted` = [(model, pk, sk), ...]."""
    models = {(pk, sk): model for model, pk, sk in wanted}
    found: dict[tuple[str, str], Any] = {}
    pending = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in models]
    client = connection().client
    for start in range(0, len(pending), MAX_KEYS):
        request = {TABLE_NAME: {"Keys": pending[start : start + MAX_KEYS], "ConsistentRead": consistent}}
        while request:
            response = client.batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(TABLE_NAME, []):
                key = (raw["pk"]["S"], raw["sk"]["S"])
                found[key] = models[key].from_raw_data(raw)
            request = response.get("UnprocessedKeys") or {}
    return found
