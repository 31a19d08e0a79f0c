"""where a product's reactivation counts its years from

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 09:00:00

A reactivation (an order paid after expiry, within the grace period) counted its years from the old
expiry date, for every product. Providers differ (issue 12): per product, ``reactivation_from`` is
``expiry`` (the old rule) or ``payment`` (from the day it was paid). Existing products get ``expiry``
through the column's server default, so nothing changes for them until staff say otherwise.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("product") as batch:
        batch.add_column(
            sa.Column(
                "reactivation_from",
                sa.Enum("expiry", "payment", name="reactivation_from", native_enum=False, length=32),
                server_default="expiry",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("product") as batch:
        batch.drop_column("reactivation_from")
