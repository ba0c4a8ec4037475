"""The DynamoDB Streams consumer: exact counters and post-write checks (issue 5)."""
