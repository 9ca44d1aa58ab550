"""the remittance text of each transfer, kept as prepared

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payment_transfers") as batch:
        batch.add_column(sa.Column("remittance", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("payment_transfers") as batch:
        batch.drop_column("remittance")
