"""AWS list prices the scale model uses, in one place: Europe (Stockholm), eu-north-1, USD, on-demand,
no free tier, x86 Lambda. As published on aws.amazon.com/<service>/pricing; written down 2026-12-01
from the pricing pages as last read (this machine has no route to them: check them before quoting a
figure to a customer; every cost in docs/scaling.md is a product of these and the measured work).
"""

from __future__ import annotations

PRICES_DATE = "2026-12-01"
REGION = "eu-north-1"

API_HTTP_PER_MILLION = 1.00  # HTTP API requests, first 300 million a month
API_HTTP_PER_MILLION_OVER_300M = 0.90
LAMBDA_PER_MILLION_REQUESTS = 0.20
LAMBDA_PER_GB_SECOND = 0.0000166667  # x86
DYNAMODB_PER_MILLION_WRITE_UNITS = 0.6688  # on-demand write request units (after the November 2024 price cut)
DYNAMODB_PER_MILLION_READ_UNITS = 0.1338  # on-demand read request units
DYNAMODB_PER_GB_MONTH = 0.2675  # Standard table class storage (the first 25 GB free tier ignored)
DYNAMODB_STREAMS_LAMBDA_READS = 0.0  # GetRecords made by a Lambda event source mapping are not charged
S3_PER_GB_MONTH = 0.023  # S3 Standard
S3_PER_THOUSAND_PUTS = 0.005  # PUT, COPY, POST (a multipart upload's create, parts and complete)
S3_PER_THOUSAND_GETS = 0.0004

# Limits the model compares against (AWS defaults; the account quotas can be raised on request)
PARTITION_WRITE_UNITS_PER_SECOND = 1_000
PARTITION_READ_UNITS_PER_SECOND = 3_000
PARTITION_BYTES = 10 * 1024**3  # a partition splits when it holds more
ACCOUNT_LAMBDA_CONCURRENCY = 1_000
ACCOUNT_API_REQUESTS_PER_SECOND = 10_000
LAMBDA_MAX_TIMEOUT_SECONDS = 900
EXPORT_RESERVE_SECONDS = 60  # the worker gives up with this much left (activity_tracker.rules.exports.RESERVE_SECONDS)
EXPORT_WORKERS = 10  # JobsWorkerFunction's ReservedConcurrentExecutions (template.yaml), shared with personal-data exports and erasures
STREAM_RECORD_AGE_SECONDS = 24 * 3600  # the worker's MaximumRecordAgeInSeconds: an export queued longer is dropped (the sweep re-drives it)
FULL_VCPU_MEMORY_MB = 1_769  # Lambda gives one full vCPU at this memory, a share of it below
DYNAMODB_CALL_MS = 4.0  # in-region round trip of a single-item call or Query page (as docs/benchmarks.md assumes)
DYNAMODB_TRANSACTION_MS = 10.0
