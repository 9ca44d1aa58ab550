"""claims: bill_key and document_key, so later nights can ask what was paid

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("bill_key", sa.String(120), nullable=True))
        batch.add_column(sa.Column("document_key", sa.String(120), nullable=True))
    op.create_index("ix_claims_bill_key", "claims", ["robot", "bill_key"])
    op.create_index("ix_claims_document_key", "claims", ["robot", "document_key"])


def downgrade() -> None:
    op.drop_index("ix_claims_document_key", table_name="claims")
    op.drop_index("ix_claims_bill_key", table_name="claims")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("document_key")
        batch.drop_column("bill_key")
