"""periods a robot ran, claim versions found fast, evidence kept with each exception

periods: one row per robot and period (a night `2026-11-23`, a month `2026-11`): the first
and last run that worked on it, whether it is running, finished or failed, and how many
runs it took. Unique on (robot, period), so the ledger knows which periods ran.

runs.period: the period a run was of.

ix_claims_supersedes: the few claims that supersede another (a changed re-delivery under a
robot that settles the difference), found from the one they supersede without a scan.

exceptions.evidence: what the rule compared and the register rows behind it, as JSON beside
the message (NULL for exceptions recorded before this revision).

Every existing row is kept; every added column is nullable and added in place.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "periods",
        sa.Column("robot", sa.String(32), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("first_run_id", sa.String(40), nullable=False),
        sa.Column("last_run_id", sa.String(40), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column("runs", sa.Column("period", sa.String(10), nullable=True))
    op.create_index(
        "ix_claims_supersedes",
        "claims",
        ["supersedes_pk"],
        sqlite_where=sa.text("supersedes_pk IS NOT NULL"),
        postgresql_where=sa.text("supersedes_pk IS NOT NULL"),
    )
    op.add_column("exceptions", sa.Column("evidence", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("exceptions", "evidence")
    op.drop_index("ix_claims_supersedes", table_name="claims")
    op.drop_column("runs", "period")
    op.drop_table("periods")
