"""Ydelsesrobotter: nightly robots that compute and pay municipal benefits exactly once.

`robots.core` is the shared foundation (reading, validating, ledger, paying, reporting);
each benefit is a folder beside it (`robots.helbredstillaeg`) holding only its rules and
amounts. `robots.cli` is the `robots` command.
"""
