"""chat read charges: the LLM reading a chat message, charged to the workspace

Revision ID: 0006_chat_reads
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_chat_reads"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_read_charges",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=True),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("usd", sa.Numeric(precision=14, scale=6), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "key", name="uq_chat_read_charge_key"),
    )
    op.create_index("ix_chat_read_charges_workspace_id", "chat_read_charges", ["workspace_id"])


def downgrade() -> None:
    op.drop_index("ix_chat_read_charges_workspace_id", table_name="chat_read_charges")
    op.drop_table("chat_read_charges")
