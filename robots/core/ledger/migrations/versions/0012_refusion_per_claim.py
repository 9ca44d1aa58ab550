"""state refusion and posting grouping kept per claim

claims.refusion_percent: the percent of the claim's payment the state reimburses, where it
depends on the claim (fleksloentilskud's refusionstrappe: 80/40/30/20 %, 65 % in the old
scheme); NULL where the robot's account gives one percent for all (config/accounts.toml).

claims.posting_grouping: the grouping on the posting file where it depends on the claim
(grp. 013 for the old fleksjob scheme); NULL: the account's grouping.

Every existing row is kept; both columns are nullable and added in place.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("claims", sa.Column("refusion_percent", sa.Integer(), nullable=True))
    op.add_column("claims", sa.Column("posting_grouping", sa.String(8), nullable=True))


def downgrade() -> None:
    op.drop_column("claims", "posting_grouping")
    op.drop_column("claims", "refusion_percent")
