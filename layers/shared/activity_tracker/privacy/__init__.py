"""Privacy (GDPR): personal-data exports (right of access), erasure (right to erasure) and the
retention of free text. Each is a job with a status item that records its progress page by page,
so a run that stops (out of time, a crash) is continued where it stopped (docs/operations.md, Privacy)."""
