"""index for the daily cap on automatic replies

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 05:40:00

The cap counts one sender's automatic replies since local midnight, for every answered message.
Without an index that count reads the whole outbox; with (template, created_at) it reads today's
replies only.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbound_message_template_created", "outbound_message", ["template", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbound_message_template_created", table_name="outbound_message")
