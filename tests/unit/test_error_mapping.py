"""Which AWS failures are "not now" (503 with Retry-After) rather than a bug (500) or a refusal."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError
from pynamodb.exceptions import GetError, TransactWriteError

from activity_tracker.errors import is_transient


def client_error(code: str, status: int = 400, reasons: list[str] | None = None) -> ClientError:
    response: dict = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    if reasons is not None:
        response["CancellationReasons"] = [{"Code": r} for r in reasons]
    return ClientError(response, "TransactWriteItems")


@pytest.mark.parametrize(
    "error",
    [
        client_error("ThrottlingException"),
        client_error("ProvisionedThroughputExceededException"),
        client_error("InternalServerError", 500),
        client_error("TransactionConflictException"),
        client_error("TransactionCanceledException", reasons=["TransactionConflict", "None"]),
        ConnectionClosedError(endpoint_url="http://x"),
        ReadTimeoutError(endpoint_url="http://x"),
        GetError("Failed to get item", ConnectionClosedError(endpoint_url="http://x")),
        TransactWriteError("Failed", client_error("TransactionCanceledException", reasons=["None", "TransactionConflict"])),
    ],
)
def test_throttles_failures_timeouts_and_lone_transaction_conflicts_are_transient(error: Exception):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        client_error("ValidationException"),
        client_error("ConditionalCheckFailedException"),
        client_error("TransactionCanceledException", reasons=["ConditionalCheckFailed", "TransactionConflict"]),
        client_error("TransactionCanceledException", reasons=["ValidationError"]),
        ValueError("a bug"),
    ],
)
def test_refusals_and_bugs_are_not(error: Exception):
    assert not is_transient(error)
