"""a claim's life after the night: claim_events, payment attempts, versions and periods

claim_events: what happened to a claim after the robot decided it (a person released,
stopped, asked to recover or marked a false alarm; the bank booked or returned; a
correction superseded it), appended only, numbered per claim (unique claim_pk, seq).

payment_items: keyed by (claim_pk, attempt) instead of claim_pk. Every existing item is
attempt 1. A later attempt pays a claim again after the bank returned the last; it must
name the decision that allowed it (approved_by_event_id, checked). On SQLite the table is
WITHOUT ROWID: the rows are the key's B-tree, so the wider key costs no second index.

claims.version, supersedes_pk, period: a changed re-delivery is a new version naming the
one it supersedes; `period` is the month a claim is for where the robot pays by month.

Every existing row is kept (tests/robots/core/ledger/test_migrations.py upgrades a ledger
made before this revision and reads its payments back).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "claim_events",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("claim_pk", _ID, sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("attempt", sa.Integer(), nullable=True),
        sa.Column("amount_oere", sa.BigInteger(), nullable=True),
        sa.Column("run_id", sa.String(40), nullable=True),
        sa.Column("batch_id", sa.String(35), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("uq_claim_events_seq", "claim_events", ["claim_pk", "seq"], unique=True)
    op.create_index("ix_claim_events_kind", "claim_events", ["kind"])

    op.add_column("claims", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # SQLite adds a column with a reference in place (its value NULL): no table copy.
        op.execute("ALTER TABLE claims ADD COLUMN supersedes_pk INTEGER REFERENCES claims (id)")
    else:
        op.add_column(
            "claims", sa.Column("supersedes_pk", _ID, sa.ForeignKey("claims.id"), nullable=True)
        )
    op.add_column("claims", sa.Column("period", sa.String(10), nullable=True))

    if bind.dialect.name == "sqlite":
        # SQLite cannot change a primary key: the table is copied into its new form.
        op.execute(
            """
            CREATE TABLE payment_items_new (
                claim_pk INTEGER NOT NULL REFERENCES claims (id),
                attempt INTEGER NOT NULL DEFAULT 1,
                transfer_id INTEGER NOT NULL,
                batch_id VARCHAR(35) NOT NULL
                    CONSTRAINT fk_payment_items_batch_id REFERENCES payment_batches (id),
                amount_oere BIGINT NOT NULL,
                approved_by_event_id INTEGER REFERENCES claim_events (id),
                CONSTRAINT ck_payment_items_attempt_approved CHECK (
                    (attempt = 1 AND approved_by_event_id IS NULL)
                    OR (attempt > 1 AND approved_by_event_id IS NOT NULL)),
                PRIMARY KEY (claim_pk, attempt)
            ) WITHOUT ROWID
            """
        )
        op.execute(
            "INSERT INTO payment_items_new (claim_pk, attempt, transfer_id, batch_id, amount_oere) "
            "SELECT claim_pk, 1, transfer_id, batch_id, amount_oere FROM payment_items "
            "ORDER BY claim_pk"
        )
        op.execute("DROP TABLE payment_items")
        op.execute("ALTER TABLE payment_items_new RENAME TO payment_items")
        op.create_index("ix_payment_items_batch_id", "payment_items", ["batch_id"])
    else:
        op.add_column(
            "payment_items",
            sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"),
        )
        op.add_column(
            "payment_items",
            sa.Column("approved_by_event_id", _ID, sa.ForeignKey("claim_events.id"), nullable=True),
        )
        op.drop_constraint("payment_items_pkey", "payment_items", type_="primary")
        op.create_primary_key("payment_items_pkey", "payment_items", ["claim_pk", "attempt"])
        op.create_check_constraint(
            "ck_payment_items_attempt_approved",
            "payment_items",
            "(attempt = 1 AND approved_by_event_id IS NULL) "
            "OR (attempt > 1 AND approved_by_event_id IS NOT NULL)",
        )


def downgrade() -> None:
    """Back to one payment per claim: refused once a claim was paid a second time or any
    event was appended (that history would be lost)."""
    bind = op.get_bind()
    events = bind.execute(sa.text("SELECT COUNT(*) FROM claim_events")).scalar_one()
    again = bind.execute(sa.text("SELECT COUNT(*) FROM payment_items WHERE attempt > 1"))
    if events or again.scalar_one():
        raise RuntimeError("claims have a history after the night; 0010 cannot be undone")
    if bind.dialect.name == "sqlite":
        op.execute(
            """
            CREATE TABLE payment_items_old (
                claim_pk INTEGER NOT NULL
                    CONSTRAINT fk_payment_items_claim_pk REFERENCES claims (id),
                transfer_id INTEGER NOT NULL,
                batch_id VARCHAR(35) NOT NULL
                    CONSTRAINT fk_payment_items_batch_id REFERENCES payment_batches (id),
                amount_oere BIGINT NOT NULL,
                PRIMARY KEY (claim_pk)
            )
            """
        )
        op.execute(
            "INSERT INTO payment_items_old (claim_pk, transfer_id, batch_id, amount_oere) "
            "SELECT claim_pk, transfer_id, batch_id, amount_oere FROM payment_items"
        )
        op.execute("DROP TABLE payment_items")
        op.execute("ALTER TABLE payment_items_old RENAME TO payment_items")
        op.create_index("ix_payment_items_batch_id", "payment_items", ["batch_id"])
    else:
        op.drop_constraint("ck_payment_items_attempt_approved", "payment_items", type_="check")
        op.drop_constraint("payment_items_pkey", "payment_items", type_="primary")
        op.create_primary_key("payment_items_pkey", "payment_items", ["claim_pk"])
        op.drop_column("payment_items", "approved_by_event_id")
        op.drop_column("payment_items", "attempt")
    op.drop_column("claims", "period")
    op.drop_column("claims", "supersedes_pk")
    op.drop_column("claims", "version")
    op.drop_index("ix_claim_events_kind", table_name="claim_events")
    op.drop_index("uq_claim_events_seq", table_name="claim_events")
    op.drop_table("claim_events")
