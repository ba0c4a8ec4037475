from __future__ import annotations

import pytest

from local.template import Stack
from tests.helpers import Api


@pytest.fixture(scope="session")
def api(aws: str, stack: Stack) -> Api:
    return Api(stack)


@pytest.fixture(scope="module", autouse=True)
def fresh_table(aws: str, stack: Stack):
    """A new table (and stream) per test module, built from template.yaml.

    moto copies a whole table to roll back a cancelled transaction, so its cost grows with the
    table; tests isolate by organization anyway and need nothing from other modules.
    """
    import boto3

    dynamodb = boto3.client("dynamodb")
    for _, args in stack.tables():
        dynamodb.delete_table(TableName=args["TableName"])
        dynamodb.create_table(**args)
