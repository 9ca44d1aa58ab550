"""Benchmarks: scripts that print figures (no timing asserts anywhere in the tests)."""

from robots.cli import SETTLE_VARIABLE

TAKEN_AT_ONCE = {SETTLE_VARIABLE: "0"}
"""The environment for a benchmark's night: its files were written a moment ago, whole, by
the benchmark itself, so the inbox takes them at once instead of waiting [inbox]
settle_seconds for them to lie still (a night that waits reads nothing)."""
