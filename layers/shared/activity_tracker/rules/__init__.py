"""Business rules as pure functions: no I/O, unit-tested on their own."""
