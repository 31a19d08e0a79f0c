"""The database schema (SQLAlchemy 2.0 typed models). Migrations live in ``alembic/``.

Money is stored as integer cents (never floats); dates are calendar dates in the configured
time zone; instants are timezone-aware UTC datetimes.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from mailbot.db.types import StorableString, StorableText
from mailbot.domain import (
    Cadence,
    CustomerKind,
    InboundStatus,
    InvoiceKind,
    InvoiceStatus,
    OrderStatus,
    OrderType,
    OutboundStatus,
    PaymentMethod,
    PaymentSource,
    ReactivationFrom,
    ServiceStatus,
    TicketKind,
    TicketStatus,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


def utcnow() -> datetime:
    return datetime.now(UTC)


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(StorableString(64), unique=True)
    kind: Mapped[CustomerKind] = mapped_column(_enum(CustomerKind, "customer_kind"))
    name: Mapped[str] = mapped_column(StorableString(200))
    email: Mapped[str] = mapped_column(StorableString(320), index=True)
    language: Mapped[str] = mapped_column(StorableString(8), default="it")
    vat_number: Mapped[str | None] = mapped_column(StorableString(32))
    fiscal_code: Mapped[str | None] = mapped_column(StorableString(32))
    pec: Mapped[str | None] = mapped_column(StorableString(320), index=True)
    recipient_code: Mapped[str | None] = mapped_column(StorableString(7))
    split_payment: Mapped[bool] = mapped_column(Boolean, default=False)
    # The billing address the invoice carries (FatturaPA's CessionarioCommittente/Sede).
    street: Mapped[str | None] = mapped_column(StorableString(60))
    postcode: Mapped[str | None] = mapped_column(StorableString(10))
    city: Mapped[str | None] = mapped_column(StorableString(60))
    province: Mapped[str | None] = mapped_column(StorableString(2))
    country: Mapped[str] = mapped_column(StorableString(2), default="IT")
    email_undeliverable: Mapped[bool] = mapped_column(Boolean, default=False)
    undeliverable_reason: Mapped[str | None] = mapped_column(StorableText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    services: Mapped[list[Service]] = relationship(back_populates="customer", order_by="Service.id")
    orders: Mapped[list[Order]] = relationship(back_populates="customer", order_by="Order.id")


class Product(Base):
    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(StorableString(64), unique=True)
    name: Mapped[str] = mapped_column(StorableString(200))
    cadence: Mapped[Cadence] = mapped_column(_enum(Cadence, "cadence"), default=Cadence.ANNUAL)
    price_cents: Mapped[int] = mapped_column(Integer)
    max_years: Mapped[int] = mapped_column(Integer, default=10)
    promo: Mapped[bool] = mapped_column(Boolean, default=False)
    bank_transfer_fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    storage_quota_mb: Mapped[int] = mapped_column(Integer, default=0)
    # Where a reactivation counts its years from (orders.new_expiry); rows made before 0008 count from expiry.
    reactivation_from: Mapped[ReactivationFrom] = mapped_column(
        _enum(ReactivationFrom, "reactivation_from"),
        default=ReactivationFrom.EXPIRY,
        server_default=ReactivationFrom.EXPIRY.value,
    )

    @property
    def years_allowed(self) -> int:
        """Promotional products renew for 1 or 2 years; others up to ``max_years`` (1-10)."""
        return min(self.max_years, 2) if self.promo else self.max_years


class Service(Base):
    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(StorableString(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    label: Mapped[str] = mapped_column(StorableString(200))
    username: Mapped[str] = mapped_column(StorableString(120))
    started_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    autorenew: Mapped[bool] = mapped_column(Boolean, default=False)
    payment_method: Mapped[PaymentMethod] = mapped_column(
        _enum(PaymentMethod, "payment_method"), default=PaymentMethod.NONE
    )
    # Last month of validity of the card on file, as the first day of that month (None: no card).
    card_expires: Mapped[date | None] = mapped_column(Date)
    storage_quota_mb: Mapped[int] = mapped_column(Integer, default=0)
    storage_used_mb: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[ServiceStatus] = mapped_column(_enum(ServiceStatus, "service_status"), default=ServiceStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="services")
    product: Mapped[Product] = relationship()


order_service = Table(
    "order_service",
    Base.metadata,
    Column("order_id", ForeignKey("order.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("service.id"), primary_key=True),
)


class OrderCounter(Base):
    """The last order number used in a year; incremented under a row lock."""

    __tablename__ = "order_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Order(Base):
    __tablename__ = "order"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(StorableString(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    type: Mapped[OrderType] = mapped_column(_enum(OrderType, "order_type"))
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus, "order_status"), index=True)
    payment_method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod, "payment_method"))
    years: Mapped[int] = mapped_column(Integer, default=1)
    net_cents: Mapped[int] = mapped_column(Integer)
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    vat_cents: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    # What the customer transfers: the total, or net + fee under split payment.
    due_cents: Mapped[int] = mapped_column(Integer)
    split_payment: Mapped[bool] = mapped_column(Boolean, default=False)
    cig: Mapped[str | None] = mapped_column(StorableString(10))
    cup: Mapped[str | None] = mapped_column(StorableString(15))
    office_code: Mapped[str | None] = mapped_column(StorableString(7))
    pa_username: Mapped[str | None] = mapped_column(StorableString(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="orders")
    services: Mapped[list[Service]] = relationship(secondary=order_service, order_by="Service.id")


class Payment(Base):
    """Money received for an order: by staff, from a file, a bank statement or the payment provider.

    ``line_key`` names the statement line or provider charge it came from, unique, so that importing the
    same statement again applies nothing twice.
    """

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod, "payment_method"))
    reference: Mapped[str | None] = mapped_column(StorableString(120))
    paid_on: Mapped[date] = mapped_column(Date)
    source: Mapped[PaymentSource] = mapped_column(_enum(PaymentSource, "payment_source"))
    line_key: Mapped[str | None] = mapped_column(StorableString(120), unique=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(StorableString(120))

    order: Mapped[Order] = relationship()


class InvoiceCounter(Base):
    """The last invoice number used in a year: numbering per year without gaps, under a row lock."""

    __tablename__ = "invoice_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(Base):
    """One per order: scheduled when the order is paid (or, for a public administration, when its codes
    are complete), numbered when issued."""

    __tablename__ = "invoice"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    kind: Mapped[InvoiceKind] = mapped_column(_enum(InvoiceKind, "invoice_kind"))
    status: Mapped[InvoiceStatus] = mapped_column(_enum(InvoiceStatus, "invoice_status"), index=True)
    issue_on: Mapped[date] = mapped_column(Date)
    number: Mapped[str | None] = mapped_column(StorableString(20), unique=True)
    year: Mapped[int | None] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(Integer)
    issued_on: Mapped[date | None] = mapped_column(Date)
    net_cents: Mapped[int] = mapped_column(Integer)
    fee_cents: Mapped[int] = mapped_column(Integer, default=0)
    vat_cents: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    due_cents: Mapped[int] = mapped_column(Integer)
    split_payment: Mapped[bool] = mapped_column(Boolean, default=False)
    payment_due_on: Mapped[date | None] = mapped_column(Date)  # issued before payment: when it is expected
    sdi_file: Mapped[str | None] = mapped_column(StorableString(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship()
    customer: Mapped[Customer] = relationship()


class StatementLine(Base):
    """A line of an imported bank statement and what became of it, kept so that a second import of the
    same statement does nothing again and staff see every line that needs them."""

    __tablename__ = "statement_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(StorableString(120), unique=True)
    source: Mapped[str] = mapped_column(StorableString(200))  # the file it came from
    booked_on: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(StorableString(20), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)  # payer, remittance, reference
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboundMessage(Base):
    """The outbox: one row per email, rendered when created, drained by the sender.

    ``idempotency_key`` is unique: whatever inserts the same logical email twice fails on the
    constraint, so no email is sent twice however often or wherever the jobs run.
    """

    __tablename__ = "outbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(StorableString(200), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True)
    template: Mapped[str] = mapped_column(StorableString(64))
    language: Mapped[str] = mapped_column(StorableString(8))
    reason: Mapped[str] = mapped_column(StorableText, default="")
    to_address: Mapped[str] = mapped_column(StorableString(320))
    subject: Mapped[str] = mapped_column(StorableText)
    body_text: Mapped[str] = mapped_column(StorableText)
    body_html: Mapped[str] = mapped_column(StorableText)
    message_id: Mapped[str] = mapped_column(StorableString(250), unique=True)
    reply_token: Mapped[str] = mapped_column(StorableString(40), unique=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[OutboundStatus] = mapped_column(
        _enum(OutboundStatus, "outbound_status"), default=OutboundStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column()
    claim_token: Mapped[str | None] = mapped_column(StorableString(40))
    last_error: Mapped[str | None] = mapped_column(StorableText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        Index("ix_outbound_message_status_next", "status", "next_attempt_at"),
        # The daily cap on automatic replies counts one sender's replies since local midnight
        # (mailbot/act/replies.py): today's rows of the reply templates, a small set.
        Index("ix_outbound_message_template_created", "template", "created_at"),
    )


class ReplyAllowance(Base):
    """The automatic replies enqueued to one address on one local day: the daily cap, taken with one
    conditional upsert in the transaction that enqueues the reply (``mailbot/act/reply_cap.py``),
    so two jobs counting at once wait for each other on this row instead of both finding room."""

    __tablename__ = "reply_allowance"

    address: Mapped[str] = mapped_column(StorableString(320), primary_key=True)  # lower-cased
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)


class ReminderClaim(Base):
    """One reminder step of one service for one expiry cycle, claimed by the outbox row that carries it.

    The unique constraint is what stops a step from going out twice, whichever daily digest it lands in.
    """

    __tablename__ = "reminder_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    cycle: Mapped[date] = mapped_column(Date)  # the expiry date the step refers to
    step: Mapped[str] = mapped_column(StorableString(40))
    outbound_id: Mapped[int] = mapped_column(ForeignKey("outbound_message.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("service_id", "cycle", "step", name="uq_reminder_claim_step"),)


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(StorableString(120))
    action: Mapped[str] = mapped_column(StorableString(80))
    entity: Mapped[str] = mapped_column(StorableString(40))
    entity_id: Mapped[str] = mapped_column(StorableString(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message_ref: Mapped[str | None] = mapped_column(StorableString(250))


# -- Inbound ---------------------------------------------------------------------------------------


class InboundMessage(Base):
    """One received email, stored raw (card numbers redacted, zlib-compressed) before it is acknowledged.

    ``dedup_key`` (the normalised Message-ID, or ``sha256:<hash of the headers>`` when it has none) is
    unique: the same message fetched twice, from IMAP after a crash or from two intakes, is stored once.
    """

    __tablename__ = "inbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(StorableString(300), unique=True)
    message_id: Mapped[str | None] = mapped_column(StorableString(998))
    sha256: Mapped[str] = mapped_column(StorableString(64))
    raw_compressed: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(StorableString(16))  # imap | maildir | pipe
    mailbox: Mapped[str | None] = mapped_column(StorableString(200))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[InboundStatus] = mapped_column(
        _enum(InboundStatus, "inbound_status"), default=InboundStatus.RECEIVED, index=True
    )
    sender: Mapped[str | None] = mapped_column(StorableString(320), index=True)
    subject: Mapped[str | None] = mapped_column(StorableText)
    kind: Mapped[str | None] = mapped_column(StorableString(16))  # human | auto_reply | bounce | list
    intent: Mapped[str | None] = mapped_column(StorableString(40))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"))
    outbound_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_message.id"))  # what it replies to
    match_method: Mapped[str | None] = mapped_column(StorableString(20))  # token | in_reply_to | order_number | sender
    verified_sender: Mapped[bool] = mapped_column(Boolean, default=False)
    card_number_detected: Mapped[bool] = mapped_column(Boolean, default=False)
    understanding: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the ``mailbot parse --json`` object
    error: Mapped[str | None] = mapped_column(StorableText)  # why it was quarantined
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column()
    # Where it was moved on the IMAP server.
    server_folder: Mapped[str | None] = mapped_column(StorableString(200), index=True)


class InboundAttachment(Base):
    __tablename__ = "inbound_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    inbound_id: Mapped[int] = mapped_column(ForeignKey("inbound_message.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(StorableString(200))
    content_type: Mapped[str] = mapped_column(StorableString(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(StorableString(64))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  # None when over the size limit (size kept)


class Ticket(Base):
    """A support ticket or a staff request, always tied to the message that caused it (if any)."""

    __tablename__ = "ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TicketKind] = mapped_column(_enum(TicketKind, "ticket_kind"))
    status: Mapped[TicketStatus] = mapped_column(
        _enum(TicketStatus, "ticket_status"), default=TicketStatus.OPEN, index=True
    )
    intent: Mapped[str] = mapped_column(StorableString(40))
    summary: Mapped[str] = mapped_column(StorableText)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)  # parsed fields, proposed change
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"))
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"), index=True)
    assignee: Mapped[str | None] = mapped_column(StorableString(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by: Mapped[str | None] = mapped_column(StorableString(120))
    resolution: Mapped[str | None] = mapped_column(StorableText)


class MailboxState(Base):
    """Per IMAP folder: the UIDVALIDITY seen and the highest UID already stored."""

    __tablename__ = "mailbox_state"

    mailbox: Mapped[str] = mapped_column(StorableString(300), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConsumerLock(Base):
    """A lease held by the one process consuming a mailbox; others wait until it expires."""

    __tablename__ = "consumer_lock"

    name: Mapped[str] = mapped_column(StorableString(300), primary_key=True)
    owner: Mapped[str] = mapped_column(StorableString(120))
    expires_at: Mapped[datetime] = mapped_column()
