"""Recomputes organizations' activity counters from their activities (invoked by an operator)."""

from activity_tracker.stream.recount import handler

__all__ = ["handler"]
