"""Benchmarks: scripts that print figures (no timing asserts anywhere in the tests)."""
