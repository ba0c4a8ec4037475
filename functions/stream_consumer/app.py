"""DynamoDB Streams consumer: counters, total_classes, home-visit flag, duplicate re-check."""

from activity_tracker.stream.consumer import handler

__all__ = ["handler"]
