"""Fast tests: pure functions on tiny inputs, no database, no UI."""
