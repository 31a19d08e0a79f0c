"""Sample contexts of the automatic replies (``REPLY_TEMPLATES``), the account's status among them, and of the
notice of a change to an account (``NOTICE_TEMPLATES``), and their variants worth looking at.

Each reply template answers one intent (``REPLY_INTENTS``; ``reply_received`` stands for several), with
the fields the customer's sample message gave (``REPLY_FIELDS``) and an outcome: applied, held for
staff, a ticket, or nothing to do. Entry point: ``samples.sample_context``.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mailbot.config import StorageConfig
from mailbot.domain import CustomerFacts, CustomerKind, OrderStatus, OrderType, PaymentMethod, ServiceStatus
from mailbot.outbound.account_status import AccountFacts, AccountOrder, AccountService, account_status
from mailbot.outbound.context import (
    AccountStatusContext,
    ChangeNoticeContext,
    ReplyContext,
    ReplyField,
    ReplyInvalid,
    RequestOutcome,
    ServiceInfo,
)
from mailbot.outbound.samples_data import (
    COMPANY,
    FIRST_EXPIRY,
    ORDER_DAY,
    SERVICES,
    SampleVariant,
    sample_customer,
    sample_item,
    sample_order,
)

REPLY_INTENTS = {
    "reply_pa_details": "pa_billing_details",
    "reply_renewal": "renewal_request",
    "reply_card_change": "card_change",
    "reply_received": "payment_notice",
}
REPLY_SUBJECTS = {"it": "Re: Ordine n. 2026-000123: istruzioni per il pagamento", "en": "Re: Order 2026-000123"}
SAMPLE_TICKET = 42
REPLY_VARIANTS: dict[str, dict[str, dict[str, Any]]] = {
    "reply_pa_details": {
        "default": {"customer": "pa"},
        "still_missing": {"customer": "pa", "pa_missing": ("cig",)},
        "invalid_cig": {"customer": "pa", "invalid": True, "outcome": "staff"},
        "only_invalid": {"customer": "pa", "invalid": True, "outcome": "none"},
        "staff": {"customer": "pa", "outcome": "staff"},
        "no_order": {"customer": "pa", "outcome": "ticket"},
        "card_number": {"customer": "pa", "card_number": True, "outcome": "staff"},
        "with_renewal": {
            "customer": "pa",
            "parts": (("renewal_request", "applied"), ("pa_billing_details", "applied")),
        },
        "with_renewal_staff": {
            "customer": "pa",
            "outcome": "staff",
            "parts": (("renewal_request", "staff"), ("pa_billing_details", "staff"), ("invoice_request", "ticket")),
        },
    },
    "reply_renewal": {
        "default": {"method": "paypal", "years": 2},
        "capped_bank_transfer": {"years_asked": 3},
        "pa_asked_card": {"customer": "pa", "method_asked": "card"},
        "company": {"customer": "company", "method": "card"},
        "staff": {"outcome": "staff", "years_asked": 3},
        "unknown_sender": {"outcome": "ticket"},
    },
    "reply_card_change": {
        "default": {"outcome": "ticket"},
        "card_number": {"outcome": "ticket", "card_number": True},
        "company": {"outcome": "ticket", "customer": "company"},
    },
    "reply_received": {
        "default": {},
        "autorenew_off": {"intent": "autorenew_off"},
        "billing_update_staff": {"intent": "billing_update", "outcome": "staff", "customer": "company"},
        "cancellation": {"intent": "cancellation"},
        "invoice_request": {"intent": "invoice_request", "outcome": "ticket"},
        "other": {"intent": "other", "outcome": "ticket"},
        "status_request_not_on_file": {"intent": "status_request", "outcome": "ticket"},
        "card_number": {"intent": "other", "outcome": "ticket", "card_number": True},
    },
}
# What each intent's sample message said (field, value), echoed back by the reply.
REPLY_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "pa_billing_details": (("cig", "Z213346E34"), ("office_code", "UFV4K2"), ("username", "rossi.magazzino")),
    "renewal_request": (("years", "2"),),
    "card_change": (("username", "rossi.magazzino"),),
    "payment_notice": (("payment_reference", "12345678901"), ("order_number", "ORD-2026-000123")),
    "autorenew_off": (("username", "rossi.magazzino"),),
    "billing_update": (("pec", "amministrazione@pec.rossi-impianti.example.org"), ("recipient_code", "M5UXCR1")),
    "cancellation": (("username", "rossi.magazzino"),),
    "invoice_request": (("order_number", "ORD-2026-000123"),),
    "status_request": (),
    "other": (),
}
SERVICE_INTENTS = frozenset({"autorenew_off", "autorenew_on", "cancellation", "upgrade_request"})
ORDER_INTENTS = frozenset({"pa_billing_details", "renewal_request", "payment_notice"})
# account_change: outcome "staff" is a change staff approved (the notice names the request).
NOTICE_VARIANTS: dict[str, dict[str, dict[str, Any]]] = {
    "account_change": {
        "default": {"intent": "autorenew_off"},
        "billing_update_approved": {"intent": "billing_update", "outcome": "staff", "customer": "company"},
        "cancellation": {"intent": "cancellation"},
        "renewal": {"intent": "renewal_request", "method": "paypal", "years": 2},
        "pa_details": {"intent": "pa_billing_details", "customer": "pa"},
    },
}
SAMPLE_REQUESTER = "ufficio.acquisti@rossi-impianti.example.org"


def reply_sample(name: str, lang: str, v: SampleVariant) -> ReplyContext:
    intent = v.intent or REPLY_INTENTS[name]
    customer = sample_customer(v, lang)
    known = v.outcome in ("applied", "staff")  # a ticket or "none": maybe someone we could not match
    order = None
    if known and intent in ("pa_billing_details", "renewal_request", "payment_notice"):
        years = v.years if v.years_asked is None else 1
        chosen = dataclasses.replace(v, years=years, pa_missing=v.pa_missing if v.pa_missing is not None else ())
        order = sample_order("payment_instructions", chosen, customer)
        if intent == "pa_billing_details" and v.outcome == "staff":  # held for staff: not on the order yet
            order = dataclasses.replace(order, cig=None, office_code=None, pa_username=None)
        elif intent == "pa_billing_details" and v.pa_missing:
            order = dataclasses.replace(order, cig=None)
    understood = [ReplyField(field, value) for field, value in REPLY_FIELDS[intent]]
    invalid: tuple[ReplyInvalid, ...] = ()
    if v.invalid:
        understood = [f for f in understood if f.name != "cig"]
        invalid = (ReplyInvalid("cig", "Z213346E35", "CIG checksum does not match"),)
    return ReplyContext(
        lang=lang,
        today=ORDER_DAY + timedelta(days=2),
        customer=customer,
        company=COMPANY,
        subject=REPLY_SUBJECTS[lang],
        intent=intent,
        outcome=v.outcome,
        ticket_id=SAMPLE_TICKET if v.outcome in ("staff", "ticket") else None,
        order=order,
        understood=tuple(understood),
        invalid=invalid,
        pa_missing=tuple(v.pa_missing or ()) if intent == "pa_billing_details" else (),
        card_number_detected=v.card_number,
        card_number_removed=v.card_number,
        years_asked=v.years_asked,
        method_asked=v.method_asked,
        services=sample_services(intent, v) if known else (),
        parts=tuple(RequestOutcome(intent, outcome) for intent, outcome in v.parts),
    )


def notice_sample(name: str, lang: str, v: SampleVariant) -> ChangeNoticeContext:
    intent = v.intent or "autorenew_off"
    customer = sample_customer(v, lang)
    order = None
    if intent in ORDER_INTENTS:
        order = sample_order("payment_instructions", dataclasses.replace(v, pa_missing=()), customer)
    return ChangeNoticeContext(
        lang=lang,
        today=ORDER_DAY + timedelta(days=2),
        customer=customer,
        company=COMPANY,
        intent=intent,
        requested_by=SAMPLE_REQUESTER,
        requested_on=ORDER_DAY + timedelta(days=1),
        ticket_id=SAMPLE_TICKET if v.outcome == "staff" else None,
        order=order,
        understood=tuple(ReplyField(field, value) for field, value in REPLY_FIELDS[intent]),
        services=sample_services(intent, v),
    )


def sample_services(intent: str, v: SampleVariant) -> tuple[ServiceInfo, ...]:
    """The service a sample request is about, for the intents about services."""
    return (sample_item(0, "expiry", FIRST_EXPIRY, ORDER_DAY, v).service,) if intent in SERVICE_INTENTS else ()


# The account's status (account_status): three services (expiring in 30 days with storage nearly full,
# expired 10 days ago, renewing automatically with no storage), three orders (awaiting payment, paid
# with its invoice, cancelled).
STATUS_VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "company": {"customer": "company"},
    "pa": {"customer": "pa"},
    "expiring_today_storage_critical": {"days": 0, "storage_level": "critical"},
    "no_orders": {"orders": False},
}
STATUS_SUBJECTS = {"it": "Re: Situazione servizi", "en": "Re: My services"}
BILLING = {  # kind -> VAT number, fiscal code, PEC, recipient code (a PA's: its office's code)
    "private": (None, "RSSMRA80A01H501U", None, None),
    "company": ("01234560157", None, "amministrazione@pec.rossi-impianti.example.org", "M5UXCR1"),
    "pa": (None, "80012340586", "protocollo@pec.comune.castelnuovo.example.it", "UFV4K2"),
}


def status_sample(lang: str, v: SampleVariant) -> AccountStatusContext:
    """The account's status on the day its first service is ``v.days`` (30) from expiry."""
    today = FIRST_EXPIRY - timedelta(days=30 if v.days is None else v.days)
    info = sample_customer(v, lang)
    vat, fiscal, pec, code = BILLING[v.customer]
    customer = CustomerFacts(
        external_id="C001",
        name=info.name,
        kind=CustomerKind(info.kind),
        email=info.email,
        language=lang,
        vat_number=vat,
        fiscal_code=fiscal,
        pec=pec,
        recipient_code=code,
        street="Via Roma 1",
        postcode="20121",
        city="Milano",
        province="MI",
        country="IT",
        split_payment=info.split_payment,
    )
    used = 4864 if v.storage_level == "critical" else 4403
    none, card = PaymentMethod.NONE, PaymentMethod.CARD
    services = tuple(
        AccountService(f"S00{i + 1}", *SERVICES[i], expires, autorenew, method, used_mb, quota, ServiceStatus.ACTIVE)
        for i, (expires, autorenew, method, used_mb, quota) in enumerate(
            (
                (FIRST_EXPIRY, False, none, used, 5120),
                (today - timedelta(days=10), False, none, 1200, 5120),
                (today + timedelta(days=200), True, card, 0, 0),
            )
        )
    )
    orders = (
        AccountOrder("ORD-2026-000123", OrderType.RENEWAL, at(2026, 11, 28), 14640, OrderStatus.AWAITING_PAYMENT, None),
        AccountOrder("ORD-2025-000456", OrderType.RENEWAL, at(2025, 12, 10), 24400, OrderStatus.PAID, "2025/00312"),
        AccountOrder("ORD-2025-000101", OrderType.FIRST_PURCHASE, at(2025, 3, 2), 12200, OrderStatus.CANCELLED, None),
    )
    return account_status(
        AccountFacts(customer, services, orders if v.orders else ()),
        today=today,
        tz=ZoneInfo("Europe/Rome"),
        lang=lang,
        company=COMPANY,
        storage=StorageConfig(),
        subject=STATUS_SUBJECTS[lang],
    )


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)
