"""the customer's billing address, for the invoice

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00

An invoice (and FatturaPA's CessionarioCommittente) names the buyer's address: street, postcode, city,
province and country. Existing customers get none (country IT) until their data is imported again or
staff complete it; an invoice for a customer without an address waits for staff.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("street", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("postcode", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("city", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("province", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("country", sa.String(length=2), nullable=False, server_default="IT"))


def downgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        for column in ("country", "province", "city", "postcode", "street"):
            batch_op.drop_column(column)
