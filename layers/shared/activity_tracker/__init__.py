"""Shared layer of activity-tracker: models, rules, repository, access control and request wiring.

Modules import their heavy dependencies lazily where a handler may not need them, so that a
cold start stays close to a bare boto3 handler (see docs/benchmarks.md).
"""
