"""Test fixtures. DynamoDB is AWS's DynamoDB Local (the real engine: its limits, expressions,
transactions and streams), S3 and SQS moto's server, one of each per session; tests isolate by
organization id. Without Java the suite stops at once with the install hint: CI must exercise the
real engine."""

from __future__ import annotations

import logging
import os
import uuid

import pytest

from local.dynamodb_local import EngineUnavailable
from local.services import LocalServices, create_resources
from local.template import Stack

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
logging.getLogger("werkzeug").setLevel(logging.WARNING)
os.environ["ADMIN_EMAILS"] = "admin@tests.example,Boss@Tests.Example"
_STACK = Stack(parameters={"AdminEmails": os.environ["ADMIN_EMAILS"]})
for _name, _value in _STACK.environment().items():
    os.environ.setdefault(_name, _value)


@pytest.fixture(scope="session")
def stack() -> Stack:
    return _STACK


@pytest.fixture(scope="session")
def aws(stack: Stack):
    """DynamoDB Local and moto's server with the resources of template.yaml; yields their endpoints."""
    services = LocalServices()
    try:
        endpoints = services.start()
    except EngineUnavailable as error:
        pytest.exit(f"DynamoDB Local cannot run: {error}", returncode=3)
    create_resources(stack)
    yield endpoints
    services.stop()


@pytest.fixture
def org_id() -> str:
    return f"org-{uuid.uuid4().hex[:12]}"
