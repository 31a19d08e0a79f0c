"""index on where a message sits on the IMAP server

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:50:00

The IMAP listener looks, at every pass, for the messages it moved to the review folder whose tickets
staff have settled since, to move them on. Messages in the review folder are few; without an index
that look-up reads every message ever received.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_inbound_message_server_folder", "inbound_message", ["server_folder"])


def downgrade() -> None:
    op.drop_index("ix_inbound_message_server_folder", table_name="inbound_message")
