"""waiting claims, which run finished a killed run's work, and the sender's own claim id

waiting_claims: a claim row whose only fault is a row missing from a register in doubt
(its last extract refused, or none ever received) is not decided: it is kept here, as the
row was read, and read again each night until the register is trusted again (or it has
waited too long); then it is decided like any row and marked resolved by that run.

runs.finished_by: a run killed after it recorded its decisions never wrote its report; the
next run of the robot reports those decisions as well and is named here, so each killed
run's claims are reported once.

claims.source_id: the id the sender gave the claim where it is not the claim id (a doctor's
own invoice number; NULL for a health claim, whose claim id is its sender's): a clinic's
bookkeeper and the control group find an invoice by it, and the remittance names it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "waiting_claims",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("robot", sa.String(32), nullable=False),
        sa.Column("claim_ref", sa.String(64), nullable=True),
        sa.Column("source_file_id", sa.Integer(), sa.ForeignKey("source_files.id"), nullable=True),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.Column("row_json", sa.Text(), nullable=False),
        sa.Column("waits_for", sa.String(200), nullable=False),
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("resolved_run_id", sa.String(40), nullable=True),
    )
    op.create_index(
        "ix_waiting_claims_open",
        "waiting_claims",
        ["robot", "id"],
        sqlite_where=sa.text("resolved_run_id IS NULL"),
        postgresql_where=sa.text("resolved_run_id IS NULL"),
    )
    # A nullable column is added in place on both databases (no table copy: on SQLite a
    # copy of runs would trip the foreign keys that point at it).
    op.add_column("runs", sa.Column("finished_by", sa.String(40), nullable=True))
    op.add_column("claims", sa.Column("source_id", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("claims", "source_id")  # SQLite 3.35+ drops a column in place
    op.drop_column("runs", "finished_by")
    op.drop_index("ix_waiting_claims_open", table_name="waiting_claims")
    op.drop_table("waiting_claims")
