"""payment rows cheaper to write: no foreign key on payment_items.transfer_id, no index
on payment_transfers.batch_id

Why: at a million claims, checking each item's transfer_id against payment_transfers cost
SQLite about 1.8 s of a batch's 3.5 s of items (a random lookup per item, since items are
written in claim order and transfers in payee order), and PostgreSQL a trigger query per
item. The paying code reserves the transfer ids itself and checks, before the batch
commits, that the batch's transfers hold exactly those ids and its items point into them
(paying._record). ix_payment_transfers_batch_id repeated the first column of
uq_payment_transfers_payee (batch_id, payee_kind, payee_id), which finds a batch's
transfers as well. What makes paying exactly-once stays: payment_items.claim_pk is the
primary key and one transfer per payee per batch is a unique index.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# SQLite's foreign keys have no names; this names them so batch mode can drop one.
_SQLITE_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s"}
_POSTGRES_FK = "payment_items_transfer_id_fkey"  # PostgreSQL's own name for it (0001)


def upgrade() -> None:
    op.drop_index("ix_payment_transfers_batch_id", table_name="payment_transfers")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot drop a constraint: batch mode copies the table without it.
        with op.batch_alter_table(
            "payment_items", recreate="always", naming_convention=_SQLITE_NAMES
        ) as batch:
            batch.drop_constraint("fk_payment_items_transfer_id", type_="foreignkey")
    else:
        op.drop_constraint(_POSTGRES_FK, "payment_items", type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("payment_items", recreate="always") as batch:
            batch.create_foreign_key(
                "fk_payment_items_transfer_id", "payment_transfers", ["transfer_id"], ["id"]
            )
    else:
        op.create_foreign_key(
            _POSTGRES_FK, "payment_items", "payment_transfers", ["transfer_id"], ["id"]
        )
    op.create_index(
        "ix_payment_transfers_batch_id", "payment_transfers", ["batch_id"], unique=False
    )
