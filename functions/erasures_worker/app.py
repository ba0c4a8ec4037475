"""Erasure worker: runs each erasure queued in the table (fed by its stream)."""

from activity_tracker.privacy.handlers import erasure_worker as handler

__all__ = ["handler"]
