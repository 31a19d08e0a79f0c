"""payments, invoices and the lines of imported bank statements

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 09:28:03

Closing the loop (issue 12): a payment registered for an order (by staff, a file, a bank statement or
the payment provider), one invoice per order numbered per year without gaps, and every imported
statement line with what became of it, so that a second import of the same statement applies nothing.
New tables only: nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoice_counter",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_invoice_counter")),
    )
    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind", sa.Enum("courtesy", "fatturapa", name="invoice_kind", native_enum=False, length=32), nullable=False
        ),
        sa.Column(
            "status",
            sa.Enum("scheduled", "issued", name="invoice_status", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("issue_on", sa.Date(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("net_cents", sa.Integer(), nullable=False),
        sa.Column("fee_cents", sa.Integer(), nullable=False),
        sa.Column("vat_cents", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("due_cents", sa.Integer(), nullable=False),
        sa.Column("split_payment", sa.Boolean(), nullable=False),
        sa.Column("payment_due_on", sa.Date(), nullable=True),
        sa.Column("sdi_file", sa.String(length=60), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_invoice_customer_id_customer")),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_invoice_order_id_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
        sa.UniqueConstraint("number", name=op.f("uq_invoice_number")),
        sa.UniqueConstraint("order_id", name=op.f("uq_invoice_order_id")),
    )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_status"), ["status"], unique=False)

    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "card",
                "paypal",
                "bank_transfer",
                "postal_slip",
                "none",
                name="payment_method",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column(
            "source",
            sa.Enum("staff", "csv", "statement", "provider", name="payment_source", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("line_key", sa.String(length=120), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_payment_order_id_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("line_key", name=op.f("uq_payment_line_key")),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_order_id"), ["order_id"], unique=False)

    op.create_table(
        "statement_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_statement_line_order_id_order")),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"], name=op.f("fk_statement_line_payment_id_payment")),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_statement_line_ticket_id_ticket")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_line")),
        sa.UniqueConstraint("key", name=op.f("uq_statement_line_key")),
    )
    with op.batch_alter_table("statement_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statement_line_outcome"), ["outcome"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("statement_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_line_outcome"))

    op.drop_table("statement_line")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_order_id"))

    op.drop_table("payment")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_status"))
        batch_op.drop_index(batch_op.f("ix_invoice_customer_id"))

    op.drop_table("invoice")
    op.drop_table("invoice_counter")
