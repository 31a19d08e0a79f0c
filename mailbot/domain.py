"""The domain's values: every kind, intent, status and type the code compares, in one place.

Plain ``StrEnum``s (each member equal to its string, so JSON, rules and the database read the same
words); this module imports nothing of the ORM or of the intake, so the understanding, deciding and
rendering code can use them. ``db.models`` maps the statuses and types onto columns.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class SenderKind(enum.StrEnum):
    """Who wrote a message (``understand.classify``): only people are answered or acted for."""

    HUMAN = "human"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    LIST = "list"


class Intent(enum.StrEnum):
    """What a message asks for (the rules' ``intent``; DOMAIN.md)."""

    PA_BILLING_DETAILS = "pa_billing_details"
    RENEWAL_REQUEST = "renewal_request"
    PAYMENT_NOTICE = "payment_notice"
    BILLING_UPDATE = "billing_update"
    AUTORENEW_OFF = "autorenew_off"
    AUTORENEW_ON = "autorenew_on"
    CANCELLATION = "cancellation"
    UPGRADE_REQUEST = "upgrade_request"
    CARD_CHANGE = "card_change"
    INVOICE_REQUEST = "invoice_request"
    STATUS_REQUEST = "status_request"  # the account's status asked: answered with it, to an address on file
    OTHER = "other"


# The order in which the requests of one message are acted on: the billing data first (the order
# and its invoice use them), then what makes an order (an upgrade, a renewal), then what refers to an
# order (a PA's codes attached to it, a payment announced for it), then the rest.
ACTING_ORDER = (
    Intent.BILLING_UPDATE,
    Intent.UPGRADE_REQUEST,
    Intent.RENEWAL_REQUEST,
    Intent.PA_BILLING_DETAILS,
    Intent.PAYMENT_NOTICE,
    Intent.CARD_CHANGE,
    Intent.AUTORENEW_ON,
    Intent.AUTORENEW_OFF,
    Intent.INVOICE_REQUEST,
    Intent.STATUS_REQUEST,
    Intent.CANCELLATION,
    Intent.OTHER,
)

# Requests that cannot both be meant: when a message seems to ask both, the stronger one stands and a
# person reads the message.
CONTRADICTIONS = frozenset(
    {
        frozenset({Intent.CANCELLATION, Intent.RENEWAL_REQUEST}),
        frozenset({Intent.CANCELLATION, Intent.UPGRADE_REQUEST}),
        frozenset({Intent.CANCELLATION, Intent.AUTORENEW_ON}),
        frozenset({Intent.AUTORENEW_ON, Intent.AUTORENEW_OFF}),
    }
)

# Intents whose staged change is applied automatically or held for staff approval.
CHANGE_INTENTS = frozenset(
    {
        Intent.PA_BILLING_DETAILS,
        Intent.RENEWAL_REQUEST,
        Intent.PAYMENT_NOTICE,
        Intent.BILLING_UPDATE,
        Intent.AUTORENEW_OFF,
        Intent.AUTORENEW_ON,
        Intent.CANCELLATION,
        Intent.UPGRADE_REQUEST,
    }
)


class ReplyOutcome(enum.StrEnum):
    """What an automatic reply tells the person who wrote."""

    APPLIED = "applied"  # done
    STAFF = "staff"  # a request waits for staff approval
    TICKET = "ticket"  # a support ticket: a person answers
    NONE = "none"  # nothing to do but check the values sent


class CustomerKind(enum.StrEnum):
    PRIVATE = "private"
    COMPANY = "company"
    PUBLIC_ADMINISTRATION = "pa"


class Cadence(enum.StrEnum):
    MONTHLY = "monthly"
    ANNUAL = "annual"


class PaymentMethod(enum.StrEnum):
    CARD = "card"
    PAYPAL = "paypal"
    BANK_TRANSFER = "bank_transfer"
    POSTAL_SLIP = "postal_slip"
    NONE = "none"


class ServiceStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class OrderType(enum.StrEnum):
    FIRST_PURCHASE = "first_purchase"
    RENEWAL = "renewal"
    REACTIVATION = "reactivation"
    UPGRADE = "upgrade"
    ADDON = "addon"


class ReactivationFrom(enum.StrEnum):
    """Where a reactivation (paid after expiry, within grace) counts its years from, per product."""

    EXPIRY = "expiry"  # the old expiry: continuous service, the anniversary kept (the default)
    PAYMENT = "payment"  # the day it was paid: the time suspended-in-all-but-name is not charged


class OrderStatus(enum.StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAYMENT_ANNOUNCED = "payment_announced"
    PAID = "paid"
    CANCELLED = "cancelled"


class OutboundStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class InboundStatus(enum.StrEnum):
    RECEIVED = "received"  # stored, not yet understood
    PROCESSED = "processed"  # understood and acted on (or nothing to do)
    REVIEW = "review"  # waits for a person
    QUARANTINED = "quarantined"  # broke processing; kept raw for staff


class TicketKind(enum.StrEnum):
    SUPPORT = "support"  # a person answers (card change, invoice copy, anything else)
    REQUEST = "request"  # a parsed change waiting for staff approval before it is applied


class TicketStatus(enum.StrEnum):
    OPEN = "open"
    APPROVED = "approved"  # request approved and applied
    REJECTED = "rejected"
    CLOSED = "closed"


class PaymentSource(enum.StrEnum):
    """Where a registered payment came from."""

    STAFF = "staff"  # ``mailbot payments record`` / ``orders paid``
    CSV = "csv"  # a file of payments
    STATEMENT = "statement"  # a line of a bank statement (camt.053, MT940)
    PROVIDER = "provider"  # the payment provider (a card or PayPal charge)


class InvoiceKind(enum.StrEnum):
    COURTESY = "courtesy"  # a private person abroad or without e-invoicing: the emailed copy is the invoice
    FATTURAPA = "fatturapa"  # an electronic invoice through SdI (FPA12 or FPR12), with a courtesy copy


class InvoiceStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # to be issued on ``issue_on`` (a bank transfer's few days)
    ISSUED = "issued"  # numbered, written, sent


AUTORENEW_METHODS = frozenset({PaymentMethod.CARD, PaymentMethod.PAYPAL})

OPEN_ORDER_STATUSES = frozenset({OrderStatus.AWAITING_PAYMENT, OrderStatus.PAYMENT_ANNOUNCED})


@dataclass(frozen=True)
class AuditEntry:
    """What an audit event says happened (``audit.record`` adds who and when): an action on an entity,
    named by its id or number, with the details that let a reader see before and after."""

    action: str
    entity: str
    entity_id: str | int
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CustomerFacts:
    """A customer as its invoice and its account's status name it: who, where mail goes, the billing
    data and address (loaded by ``act.load.customer_facts``)."""

    external_id: str
    name: str
    kind: CustomerKind
    email: str
    language: str
    vat_number: str | None
    fiscal_code: str | None
    pec: str | None
    recipient_code: str | None
    street: str | None
    postcode: str | None
    city: str | None
    province: str | None
    country: str
    split_payment: bool
