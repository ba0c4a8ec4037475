"""DynamoDB Streams readers: the consumer (exact counters, post-write checks, the audit trail) and the job worker."""
