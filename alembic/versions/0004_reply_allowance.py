"""a row per address and day for the daily cap on automatic replies

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 09:00:00

Counting today's replies and then enqueueing one were two steps: two jobs (or processes) counting at
the same time both found room and the cap was passed. The cap is now taken with one conditional
upsert on ``reply_allowance`` in the transaction that enqueues the reply. The table starts empty: an
address's first row of the day is seeded from the replies already in the outbox that day, so the day
of the upgrade keeps its count.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reply_allowance",
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("address", "day", name=op.f("pk_reply_allowance")),
    )


def downgrade() -> None:
    op.drop_table("reply_allowance")
