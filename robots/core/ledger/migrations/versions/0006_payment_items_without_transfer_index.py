"""payment items: no index on transfer_id (nothing reads by it; writing it cost the most)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_payment_items_transfer_id", table_name="payment_items")


def downgrade() -> None:
    op.create_index("ix_payment_items_transfer_id", "payment_items", ["transfer_id"], unique=False)
