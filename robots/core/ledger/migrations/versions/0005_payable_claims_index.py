"""claims decided 'pay', indexed per robot, for finding the ones still unpaid

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PAYABLE = sa.text("decision = 'pay'")


def upgrade() -> None:
    op.create_index(
        "ix_claims_payable",
        "claims",
        ["robot", "id"],
        unique=False,
        sqlite_where=PAYABLE,
        postgresql_where=PAYABLE,
    )


def downgrade() -> None:
    op.drop_index("ix_claims_payable", table_name="claims")
