"""one transfer per payee per batch, as a unique index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "uq_payment_transfers_payee",
        "payment_transfers",
        ["batch_id", "payee_kind", "payee_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_payment_transfers_payee", table_name="payment_transfers")
