"""the bank's and NemKonto's answers, read once, matched to transfers or listed for finance

bank_answer_files: each pain.002, camt.054 or NKS answer read, unique by its own message id
(per kind) and by content, so reading it again changes nothing.

bank_answer_lines: each status or booking in it, the transfer it was matched to and how
(EndToEndId, or amount, date and payee), or the problem that left it unmatched.

New tables only: every existing row is kept.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "bank_answer_files",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("stored_path", sa.String(500), nullable=False),
        sa.Column("account_iban", sa.String(34), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.Integer(), nullable=False),
    )
    op.create_index(
        "uq_bank_answer_files_message", "bank_answer_files", ["kind", "message_id"], unique=True
    )
    op.create_table(
        "bank_answer_lines",
        sa.Column("id", _BIG, primary_key=True),
        sa.Column(
            "answer_file_id",
            sa.Integer(),
            sa.ForeignKey("bank_answer_files.id"),
            nullable=False,
        ),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("batch_id", sa.String(35), nullable=True),
        sa.Column("end_to_end_id", sa.String(35), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("bank_status", sa.String(8), nullable=True),
        sa.Column("reason_code", sa.String(8), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=True),
        sa.Column("amount_oere", sa.BigInteger(), nullable=True),
        sa.Column("booked_on", sa.Date(), nullable=True),
        sa.Column("nks_outcome", sa.String(16), nullable=True),
        sa.Column("transfer_id", _BIG, nullable=True),
        sa.Column("matched_by", sa.String(24), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
    )
    op.create_index("ix_bank_answer_lines_answer_file_id", "bank_answer_lines", ["answer_file_id"])
    op.create_index("ix_bank_answer_lines_transfer_id", "bank_answer_lines", ["transfer_id"])


def downgrade() -> None:
    op.drop_index("ix_bank_answer_lines_transfer_id", table_name="bank_answer_lines")
    op.drop_index("ix_bank_answer_lines_answer_file_id", table_name="bank_answer_lines")
    op.drop_table("bank_answer_lines")
    op.drop_index("uq_bank_answer_files_message", table_name="bank_answer_files")
    op.drop_table("bank_answer_files")
