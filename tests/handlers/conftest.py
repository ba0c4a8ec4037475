from __future__ import annotations

import pytest

from local.template import Stack
from tests.helpers import Api


@pytest.fixture(scope="session")
def api(aws: str, stack: Stack) -> Api:
    return Api(stack)
