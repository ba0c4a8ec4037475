from __future__ import annotations

import pytest

from local.services import Endpoints
from local.template import Stack
from tests.helpers import Api, Person, make_user


@pytest.fixture(scope="session")
def api(aws: Endpoints, stack: Stack) -> Api:
    return Api(stack)


@pytest.fixture(scope="module", autouse=True)
def fresh_table(aws: Endpoints, stack: Stack):
    """A new table (and stream) per test module, built from template.yaml.

    Tests isolate by organization anyway; a fresh stream keeps the tests that read it from its
    start (tests/stream_helpers.py) reading only their module's records.
    """
    import boto3

    dynamodb = boto3.client("dynamodb")
    for _, args in stack.tables():
        dynamodb.delete_table(TableName=args["TableName"])
        dynamodb.create_table(**args)


@pytest.fixture
def member(api: Api, org_id: str) -> Person:
    return make_user(api, org_id)


@pytest.fixture
def coordinator(api: Api, org_id: str) -> Person:
    return make_user(api, org_id, "coordinator")
