"""Business logic: one module per concept; functions take (request, user) and return bodies."""
