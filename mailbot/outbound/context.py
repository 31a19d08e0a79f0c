"""What the templates see: plain frozen values, built by the sweeps and by ``mailbot render``.

This module is the contract between the code that decides what to send and the templates in
``templates/mail/<name>/<lang>/``. Templates use strict undefined variables, so a field missing
here is an error at render time, never a blank in a customer's inbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from mailbot.domain import CustomerKind

# Template names, one per kind of email; each has subject.txt, body.txt, body.html in it/ and en/.
REMINDER_TEMPLATES = (
    "expiry_reminder",  # before expiry and on the expiry day: renew
    "grace_reminder",  # during the grace period: reactivate
    "suspension_notice",  # grace is over: suspended
    "autorenew_notice",  # automatic renewal coming
    "card_expiring",  # automatic renewal coming but the card on file expires first
    "storage_alert",  # storage over the warning threshold
)
PAYMENT_TEMPLATES = (
    "payment_instructions",  # at order creation, by payment method
    "payment_reminder",  # order still awaiting payment after N days
    "order_cancelled",  # unpaid order cancelled automatically
    "payment_confirmation",  # payment registered: the order is complete, the new expiry, the invoice to come
    "invoice",  # the invoice issued: its courtesy copy (the electronic one goes through SdI)
    "invoice_reminder",  # an invoice issued before payment (a PA's) still unpaid after its due date
    "charge_failed",  # the automatic renewal's charge failed: its order waits for payment by another way
)
# Automatic answers to a customer's message (mailbot/act/replies.py), each with ReplyContext but the
# account's status (AccountStatusContext), which goes only to an address on file.
STATUS_TEMPLATE = "account_status"
REPLY_TEMPLATES = (
    "reply_pa_details",  # PA billing details received: what was understood, what is missing, what next
    "reply_renewal",  # renewal requested: order created (instructions follow) or waiting for staff
    "reply_card_change",  # card change: the procedure, never card data by email
    "reply_received",  # everything else: payment notice, staff request, support ticket
    STATUS_TEMPLATE,  # the account's status asked: services, expiries, storage, orders, billing data
)
# A change made to an account, told to the customer's addresses on file (mailbot/act/notices.py).
NOTICE_TEMPLATES = ("account_change",)
OUTBOUND_TEMPLATES = REMINDER_TEMPLATES + PAYMENT_TEMPLATES  # what the scheduler sends on its own
ALL_TEMPLATES = OUTBOUND_TEMPLATES + REPLY_TEMPLATES + NOTICE_TEMPLATES


@dataclass(frozen=True)
class CompanyInfo:
    name: str
    support_address: str
    support_phone: str


@dataclass(frozen=True)
class CustomerInfo:
    name: str
    kind: str  # private | company | pa
    email: str
    language: str
    split_payment: bool

    @property
    def is_pa(self) -> bool:
        return self.kind == CustomerKind.PUBLIC_ADMINISTRATION


@dataclass(frozen=True)
class ServiceInfo:
    id: int
    label: str
    username: str
    product_name: str
    expires_on: date
    autorenew: bool
    payment_method: str  # card | paypal | bank_transfer | postal_slip | none
    card_expires: date | None  # first day of the card's last valid month
    storage_quota_mb: int
    storage_used_mb: int


@dataclass(frozen=True)
class StorageInfo:
    percent: int  # used / quota, rounded down
    level: str  # warning | critical
    extra_gb_needed: int  # projected extra 1 GB units needed until the next expiry (0 if none)


@dataclass(frozen=True)
class ReminderItem:
    """One service in a reminder email, and why it is there."""

    kind: str  # expiry | grace | suspension | autorenew | card_expiring | storage
    step: str  # e.g. before_30, expiry_day, grace_7, suspended, autorenew_30, storage_warning
    service: ServiceInfo
    days_to_expiry: int  # negative once expired
    grace_ends_on: date
    storage: StorageInfo | None = None


@dataclass(frozen=True)
class ReminderContext:
    """Context of every template in REMINDER_TEMPLATES."""

    lang: str
    today: date
    customer: CustomerInfo
    company: CompanyInfo
    items: tuple[ReminderItem, ...]
    # One signed link renewing (or reactivating) every item that needs action; None when none does.
    renew_link: str | None
    action: str | None  # renew | reactivate | None


@dataclass(frozen=True)
class BankDetails:
    beneficiary: str
    iban: str
    bank_name: str


@dataclass(frozen=True)
class PostalDetails:
    account: str
    holder: str


@dataclass(frozen=True)
class OrderInfo:
    number: str
    type: str  # first_purchase | renewal | reactivation | upgrade | addon
    status: str
    payment_method: str
    years: int
    net: Decimal
    fee: Decimal
    vat: Decimal
    total: Decimal
    due: Decimal  # what the customer pays us (net + fee under split payment)
    split_payment: bool
    created_on: date
    cancel_on: date  # the day it is cancelled if still unpaid
    services: tuple[ServiceInfo, ...]
    cig: str | None = None
    cup: str | None = None
    office_code: str | None = None
    pa_username: str | None = None


@dataclass(frozen=True)
class InvoiceLineInfo:
    description: str
    quantity: Decimal
    unit_price: Decimal  # net
    amount: Decimal  # net


@dataclass(frozen=True)
class InvoiceInfo:
    """An issued invoice, as its courtesy copy shows it."""

    number: str
    issued_on: date
    lines: tuple[InvoiceLineInfo, ...]
    vat_rate: Decimal
    net: Decimal
    vat: Decimal
    total: Decimal
    due: Decimal  # what the buyer pays us: the total, or the net under split payment
    split_payment: bool
    electronic: bool  # also sent as a FatturaPA through SdI: this email is its courtesy copy
    paid: bool
    payment_due_on: date | None  # issued before payment (a public administration's): when it is expected
    seller: str  # name, VAT number and address on one line
    buyer: str  # name, tax ids and address on one line
    cig: str | None = None
    cup: str | None = None


@dataclass(frozen=True)
class PaymentContext:
    """Context of every template in PAYMENT_TEMPLATES."""

    lang: str
    today: date
    customer: CustomerInfo
    company: CompanyInfo
    order: OrderInfo
    bank: BankDetails
    postal: PostalDetails
    pay_link: str  # signed link to pay by card/PayPal or view the order
    reminder_number: int = 0  # 1, 2, ... for payment_reminder
    # For public administrations: what they still have to send back by replying (cig, office_code, username).
    pa_missing: tuple[str, ...] = field(default_factory=tuple)
    split_payment_valid_until: date | None = None
    invoice: InvoiceInfo | None = None  # for the invoice email
    charge_failed: str = ""  # for charge_failed: the payment provider's reason, as it gave it


@dataclass(frozen=True)
class ReplyField:
    """A value understood from the customer's message, echoed back exactly as it will be used."""

    name: str  # a field of mailbot.understand.rules.FIELDS
    value: str


@dataclass(frozen=True)
class ReplyInvalid:
    """A value that was not accepted, with the reason (never stored)."""

    name: str
    value: str
    reason: str


@dataclass(frozen=True)
class RequestOutcome:
    """One request of a message that made several, and what became of it (``ReplyContext.outcome``'s words)."""

    intent: str
    outcome: str


@dataclass(frozen=True)
class ReplyContext:
    """Context of every template in REPLY_TEMPLATES."""

    lang: str
    today: date
    customer: CustomerInfo
    company: CompanyInfo
    subject: str  # the reply's subject line, already "Re: <their subject>"
    intent: str  # what we understood they asked for (mailbot.understand.rules.INTENTS)
    outcome: str  # applied | staff (waits for approval) | ticket (a person answers) | none
    ticket_id: int | None
    order: OrderInfo | None
    understood: tuple[ReplyField, ...] = ()
    invalid: tuple[ReplyInvalid, ...] = ()
    pa_missing: tuple[str, ...] = ()  # cig | office_code | username still needed for the invoice
    card_number_detected: bool = False
    card_number_removed: bool = False  # and no copy we keep holds it any more (else the reply says only it came)
    years_asked: int | None = None  # renewal: years asked when the order was made for fewer
    method_asked: str | None = None  # renewal: the way to pay asked, when the order is paid another way
    services: tuple[ServiceInfo, ...] = ()  # the services the request is about (shown to their owner only)
    # A message of several requests: each one and its outcome, in the order they were acted on.
    parts: tuple[RequestOutcome, ...] = ()


@dataclass(frozen=True)
class ChangeNoticeContext:
    """Context of ``account_change``: what was changed on the account, at whose request, for its holder."""

    lang: str
    today: date
    customer: CustomerInfo  # the holder; ``email`` is the address on file this notice goes to
    company: CompanyInfo
    intent: str  # the change (mailbot.understand.rules.INTENTS)
    requested_by: str  # the From address of the message that asked for it
    requested_on: date
    ticket_id: int | None  # the staff request approved, when the change waited for staff
    order: OrderInfo | None = None
    understood: tuple[ReplyField, ...] = ()  # the values the change used
    services: tuple[ServiceInfo, ...] = ()  # the services changed


@dataclass(frozen=True)
class BillingInfo:
    """The billing data on file, as the account's status shows it."""

    vat_number: str | None
    fiscal_code: str | None
    pec: str | None
    recipient_code: str | None
    address: str  # on one line; "" when none is on file
    split_payment: bool


@dataclass(frozen=True)
class ServiceStatusInfo:
    """One service in the account's status, with its flags."""

    label: str
    username: str
    product_name: str
    expires_on: date
    days_to_expiry: int  # negative once expired
    expiry_flag: str | None  # expired | soon (within 90 days) | None
    autorenew: bool
    payment_method: str  # card | paypal | bank_transfer | postal_slip | none
    storage_used_mb: int
    storage_quota_mb: int  # 0: the plan has no storage
    storage_percent: int  # used / quota, rounded down; 0 without a quota
    storage_level: str | None  # warning | critical (storage.warn_percent, critical_percent) | None
    status: str  # active | suspended | cancelled


@dataclass(frozen=True)
class OrderStatusInfo:
    """One order in the account's status."""

    number: str
    type: str  # first_purchase | renewal | reactivation | upgrade | addon
    created_on: date
    due: Decimal  # what the customer pays us
    status: str  # awaiting_payment | payment_announced | paid | cancelled
    invoice_number: str | None  # None: no invoice issued yet


@dataclass(frozen=True)
class AccountStatusContext:
    """Context of ``account_status``: the account as it is today, for its holder only."""

    lang: str
    today: date
    customer: CustomerInfo  # ``email``: the address on file the status goes to
    company: CompanyInfo
    subject: str  # an answer's subject line, "Re: <their subject>"
    billing: BillingInfo
    services: tuple[ServiceStatusInfo, ...]
    orders: tuple[OrderStatusInfo, ...]  # newest first
