"""The request wiring's logger: powertools' Logger, loaded when a line is first logged, with the
correlation id of the request set before (docs/operations.md queries by `correlation_id`)."""

from __future__ import annotations

import json


def test_a_line_logged_after_the_correlation_id_was_set_carries_it(capsys):
    import uuid

    from activity_tracker.api import LazyLogger

    logger = LazyLogger(f"test-{uuid.uuid4().hex}")  # a service of its own: powertools reuses a service's handler, bound to an earlier test's stdout
    logger.set_correlation_id("request-1")
    assert logger._logger is None  # nothing logged yet: powertools not needed
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.exception("unhandled error")
    logger.set_correlation_id("request-2")
    logger.error("again")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [(line["message"], line["correlation_id"], line["level"]) for line in lines] == [("unhandled error", "request-1", "ERROR"), ("again", "request-2", "ERROR")]
    assert "RuntimeError: boom" in lines[0]["exception"]
