"""The ledger: every run, file, claim, exception, payment and audit event, in SQL.

SQLite in the data folder by default, PostgreSQL when DATABASE_URL says so; the schema
is created and upgraded by Alembic migrations only (`migrate`).
"""
