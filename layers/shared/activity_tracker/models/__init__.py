"""Pydantic models: request bodies, query strings and response DTOs, one module per concept."""
