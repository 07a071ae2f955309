"""a watch's cost alert: the monthly spend its owner asked to hear about, and the month it was sent

Revision ID: 0007_watch_cost_alert
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_watch_cost_alert"
down_revision = "0004"
branch_labels = None
depends_on = None

USD = sa.Numeric(14, 6)


def upgrade() -> None:
    with op.batch_alter_table("watches") as batch:
        batch.add_column(sa.Column("cost_threshold_usd", USD, nullable=True))
        batch.add_column(sa.Column("cost_notice_month", sa.String(length=7), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("watches") as batch:
        batch.drop_column("cost_notice_month")
        batch.drop_column("cost_threshold_usd")
