"""Replays the stream consumer's failed batches from its on-failure queue (invoked by an operator)."""

from activity_tracker.stream.replay import handler

__all__ = ["handler"]
