"""messages an earlier version may have moved on the IMAP server without recording where

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 12:00:00

Up to 0004 the IMAP listener recorded a message's folder only after the server had moved it; a kill in
between left ``server_folder`` empty, and such a message, moved to the review folder, was never moved on
once staff settled it. The listener now records the folder before the move, and an empty folder means
"not moved yet". The rows that earlier versions left empty after processing are marked ``?`` (perhaps
moved, not known where): the listener looks for each in the review folder once it is settled.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE inbound_message SET server_folder = '?' "
        "WHERE source = 'imap' AND server_folder IS NULL AND status <> 'received'"
    )


def downgrade() -> None:
    op.execute("UPDATE inbound_message SET server_folder = NULL WHERE server_folder = '?'")
