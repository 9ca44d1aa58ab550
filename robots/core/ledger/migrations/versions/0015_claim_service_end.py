"""claims.service_end: the last day of the period a claim is for

A claim's first day is its service_date; a claim for a period of days (loentilskud: an
employer's hours from period_start to period_end) keeps its last day too, so a later claim
under the same agreement can be asked whether it covers any of the same days. NULL where
the robot gives no last day (a bill is for one day): the claim covers its service_date
only.

Every existing row is kept (service_end NULL); the column is nullable and added in place.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("claims", sa.Column("service_end", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("claims", "service_end")
