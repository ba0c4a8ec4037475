"""Bufdir reporting: which activities count, their rows and the summary (issue 7)."""
