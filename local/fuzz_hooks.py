"""schemathesis hooks for `make fuzz` (loaded through SCHEMATHESIS_HOOKS) and the bounded run in
`make test` (tests/e2e/test_fuzz_contract.py).

An Idempotency-Key names one request (API.md): sent again with another request, it answers 422
`idempotency_key_reused`, as documented. Hypothesis draws the same small keys (`0`, `00`) over and
over for different requests, which a real client never does, and schemathesis then counts those
422s as the API refusing data its schema allows. Each generated key keeps its characters (format
checks still reach the API) and gets a unique suffix, so it names one request; reusing a key is
tested where it belongs (tests/handlers/test_idempotency.py)."""

from __future__ import annotations

from typing import Any

import schemathesis

from local.fuzz import unique_idempotency_key


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    unique_idempotency_key(case.headers)
