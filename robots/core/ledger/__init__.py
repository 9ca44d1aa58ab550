"""The ledger: every run, file, claim, exception, payment and audit event, in SQL.

SQLite in the data folder by default, PostgreSQL when DATABASE_URL says so; the schema
is created and upgraded by Alembic migrations only (`migrate`).

Its API is these modules, one per thing the ledger is about; the pipeline, paying, the
command line and the pages to come call their functions and never write SQL themselves
(tests/robots/core/ledger/test_ledger_api.py holds them to it):

- `run_records`: runs started, finished, killed, and which run reported which;
- `periods`: the periods each robot works on (a night, a month): running, finished, failed;
- `run_locks`: one run of a robot at a time (an advisory lock on PostgreSQL, a file lock
  beside SQLite), and one scheduler per ledger;
- `file_records`: the inbox files taken in, known by content;
- `claim_records`: the claims, as the night asks about them (known keys, earlier bills);
- `history`: a claim's life after the night, appended through one function, and the
  state and money that follow from it; `versions`: a claim's corrected versions;
- `payment_records`: batches, transfers and payment items;
- `case_records`: exceptions and the claims that wait for a register;
- `audit_trail`: who did what, when;
- `bulk`: how a million rows go in and out (COPY, executemany, Arrow), used by the above.
"""
