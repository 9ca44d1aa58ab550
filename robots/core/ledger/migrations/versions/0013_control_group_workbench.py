"""the control group's workbench: users, cases, four-eyes proposals, false alarms

users: staff who log in, one role each, argon2 password hashes, failed log-ins and lock.

cases: a claim before people (held at night, or opened by hand on a tip), who holds it
now. Every claim held today and not yet decided by a person gets its case here, opened
when its run started, so an upgraded ledger's queue shows what was waiting.

case_proposals / case_approvals: recover and refer above the configured amount, waiting for
a second person; the answer is its own row, never an edit.

false_alarms: a rule's hit marked wrong, by rule, subject and the values it compared.

claim_events.case_id: the case a person's decision closed.

Every existing row is kept; the one added column is nullable and added in place.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "cases",
        _id(),
        sa.Column(
            "claim_pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("claims.id"),
            nullable=False,
        ),
        sa.Column("robot", sa.String(32), nullable=False),
        sa.Column("kanal", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("taken_by", sa.String(64), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_cases_claim_pk", "cases", ["claim_pk"])
    op.create_table(
        "case_proposals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "case_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("cases.id"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("amount_oere", sa.BigInteger(), nullable=True),
        sa.Column("refer_to", sa.String(64), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(64), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_case_proposals_case_id", "case_proposals", ["case_id"])
    op.create_table(
        "case_approvals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "proposal_id",
            sa.Integer(),
            sa.ForeignKey("case_proposals.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("answer", sa.String(16), nullable=False),
        sa.Column("answered_by", sa.String(64), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False, server_default=""),
    )
    op.create_table(
        "false_alarms",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("robot", sa.String(32), nullable=False),
        sa.Column("rule_id", sa.String(48), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column(
            "event_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("claim_events.id"),
            nullable=False,
        ),
    )
    op.create_index("ix_false_alarms_rule", "false_alarms", ["robot", "rule_id"])
    op.add_column("claim_events", sa.Column("case_id", sa.Integer(), nullable=True))
    op.create_index("ix_claim_events_case_id", "claim_events", ["case_id"])
    # Every claim held today and not decided by a person since is a case, opened when the
    # run that held it started (or when it was held again).
    op.execute(
        "INSERT INTO cases (claim_pk, robot, kanal, opened_at, opened_by, note) "
        "SELECT c.id, c.robot, 'robot', "
        "COALESCE((SELECT MAX(h.at) FROM claim_events h WHERE h.claim_pk = c.id "
        "AND h.kind = 'held_again'), r.started_at), 'robot:' || c.robot, '' "
        "FROM claims c JOIN runs r ON r.id = c.run_id "
        "WHERE (c.decision = 'hold' AND NOT EXISTS (SELECT 1 FROM claim_events e "
        "WHERE e.claim_pk = c.id)) OR EXISTS (SELECT 1 FROM claim_events e "
        "WHERE e.claim_pk = c.id AND e.kind = 'held_again' AND e.seq = "
        "(SELECT MAX(x.seq) FROM claim_events x WHERE x.claim_pk = c.id)) "
        "ORDER BY c.id"
    )


def downgrade() -> None:
    op.drop_index("ix_claim_events_case_id", table_name="claim_events")
    op.drop_column("claim_events", "case_id")
    op.drop_index("ix_false_alarms_rule", table_name="false_alarms")
    op.drop_table("false_alarms")
    op.drop_table("case_approvals")
    op.drop_index("ix_case_proposals_case_id", table_name="case_proposals")
    op.drop_table("case_proposals")
    op.drop_index("ix_cases_claim_pk", table_name="cases")
    op.drop_table("cases")
    op.drop_table("users")
