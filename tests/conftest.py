"""Test fixtures. The AWS stand-in is one moto server per session (DynamoDB streams and
transactions work there, unlike moto's in-process mock); tests isolate by organization id."""

from __future__ import annotations

import logging
import os
import uuid

import pytest

from local.runner import configure_aws_environment, create_resources, start_moto
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
    """A moto server with the resources of template.yaml; yields its endpoint."""
    server, endpoint = start_moto()
    configure_aws_environment(endpoint)
    create_resources(stack)
    yield endpoint
    server.stop()


@pytest.fixture
def org_id() -> str:
    return f"org-{uuid.uuid4().hex[:12]}"
