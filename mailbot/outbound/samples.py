"""Realistic sample contexts for every template, for the rendering tests and ``mailbot render --sample``.

``sample_context(name, lang, **variant)`` builds the context a template would get from the sweeps,
from fixed, plausible data: a private customer, a company or a public administration, services
with the usual products, an order of € 1.234,56 net. Keyword arguments pick a variant (see
``SampleVariant``): several items of mixed kinds, a public administration with split payment and
missing billing details, each payment method, one day to expiry... ``sample_variants(name)`` names
the interesting ones for each template. Dates are fixed: the first item of a reminder always
expires on 31 December 2026, and ``today`` moves to match ``days``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from mailbot.errors import InputError
from mailbot.outbound.context import (
    ALL_TEMPLATES,
    PAYMENT_TEMPLATES,
    REPLY_TEMPLATES,
    BankDetails,
    CompanyInfo,
    CustomerInfo,
    OrderInfo,
    PaymentContext,
    PostalDetails,
    ReminderContext,
    ReminderItem,
    ReplyContext,
    ReplyField,
    ReplyInvalid,
    ServiceInfo,
    StorageInfo,
)

FIRST_EXPIRY = date(2026, 12, 31)
ORDER_DAY = date(2026, 12, 1)
GRACE_DAYS = 90
CANCEL_AFTER_DAYS = 30
VAT_RATE = Decimal("0.22")
BANK_TRANSFER_FEE = Decimal("3.00")
RENEW_LINK = "https://portale.example.it/rinnovo?t=SAMPLE-RENEW-TOKEN"
PAY_LINK = "https://portale.example.it/rinnovo?t=SAMPLE-PAY-TOKEN"

# Reminder template -> the item kind it is about (its first item in a sample).
TEMPLATE_KINDS = {
    "expiry_reminder": "expiry",
    "grace_reminder": "grace",
    "suspension_notice": "suspension",
    "autorenew_notice": "autorenew",
    "card_expiring": "card_expiring",
    "storage_alert": "storage",
}
# Days to expiry of an item of each kind when the sample does not say.
DEFAULT_DAYS = {
    "expiry": 30,
    "grace": -10,
    "suspension": -(GRACE_DAYS + 5),
    "autorenew": 30,
    "card_expiring": 45,
    "storage": 120,
}
STEPS = {
    "expiry": "before_30",
    "grace": "grace_7",
    "suspension": "suspended",
    "autorenew": "autorenew_30",
    "card_expiring": "autorenew_30",
    "storage": "storage_warning",
}
ACTION_BY_KIND = {"expiry": "renew", "grace": "reactivate"}
# (label, username, product): one per item, in order.
SERVICES = (
    ("Impianto Magazzino Via Roma", "rossi.magazzino", "Portale Impianti Business"),
    ("Archivio contratti", "rossi.archivio", "Archivio Documentale 5 GB"),
    ("Casella fatture elettroniche", "rossi.fatture", "Casella Fatturazione Elettronica"),
    ("Impianto Sede Milano", "rossi.milano", "Portale Impianti Plus"),
    ("Impianto Capannone 2", "rossi.capannone", "Portale Impianti Plus"),
    ("Archivio progetti", "rossi.progetti", "Archivio Documentale 5 GB"),
)
CUSTOMERS = {
    "private": ("Mario Rossi", "mario.rossi@example.org"),
    "company": ("Rossi Impianti S.r.l.", "amministrazione@rossi-impianti.example.org"),
    "pa": ("Comune di Castelnuovo", "ragioneria@comune.castelnuovo.example.it"),
}
PA_FIELDS = ("cig", "office_code", "username")
COMPANY = CompanyInfo(name="Example S.r.l.", support_address="assistenza@example.it", support_phone="02 1234 5678")


@dataclass(frozen=True)
class SampleVariant:
    """What can vary in a sample; every field has the everyday default."""

    customer: str = "private"  # private | company | pa (split payment)
    customer_name: str | None = None  # e.g. "<script>" to check escaping
    kinds: tuple[str, ...] = ()  # reminder item kinds, in order; default: the template's own kind
    days: int | None = None  # days to expiry of the first item; default by kind
    renew_link: bool | None = None  # None: as the sweep does (only when an item can be renewed or reactivated)
    storage_level: str = "warning"  # warning | critical
    extra_gb: int = 2
    method: str = "bank_transfer"  # bank_transfer | postal_slip | paypal | card
    years: int = 1
    order_type: str = "renewal"
    pa_missing: tuple[str, ...] | None = None  # None: all three for a public administration, () otherwise
    reminder_number: int = 1
    # Automatic replies (REPLY_TEMPLATES).
    intent: str | None = None  # default: the template's own intent
    outcome: str = "applied"  # applied | staff | ticket | none
    invalid: bool = False  # a value that failed its check (a CIG checksum)
    card_number: bool = False  # the customer's message contained a card number
    years_asked: int | None = None  # renewal: years asked when the order has fewer


def sample_context(name: str, lang: str, **variant: Any) -> ReminderContext | PaymentContext | ReplyContext:
    """The sample context of template ``name`` in ``lang``; keyword arguments are ``SampleVariant`` fields."""
    if name not in ALL_TEMPLATES:
        raise InputError(f"no template named {name!r} (known: {', '.join(ALL_TEMPLATES)})")
    known = {f.name for f in dataclasses.fields(SampleVariant)}
    unknown = sorted(set(variant) - known)
    if unknown:
        raise InputError(f"unknown sample variant {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    chosen = SampleVariant(**variant)
    if name in PAYMENT_TEMPLATES:
        return payment_sample(name, lang, chosen)
    if name in REPLY_TEMPLATES:
        return reply_sample(name, lang, chosen)
    return reminder_sample(name, lang, chosen)


def sample_variants(name: str) -> dict[str, dict[str, Any]]:
    """The named variants worth looking at for template ``name`` (always including ``default``)."""
    if name in REPLY_TEMPLATES:
        return REPLY_VARIANTS[name]
    if name in PAYMENT_TEMPLATES:
        return {
            "default": {},
            "postal_slip": {"method": "postal_slip"},
            "paypal": {"method": "paypal", "years": 2},
            "card": {"method": "card", "customer": "company"},
            "pa_missing": {"customer": "pa", "pa_missing": ("cig", "office_code", "username")},
            "pa_complete": {"customer": "pa", "pa_missing": ()},
            "pa_cig_missing": {"customer": "pa", "pa_missing": ("cig",)},
            "second_reminder": {"reminder_number": 2, "method": "postal_slip"},
        }
    kind = TEMPLATE_KINDS[name]
    others = tuple(k for k in TEMPLATE_KINDS.values() if k != kind)
    variants: dict[str, dict[str, Any]] = {
        "default": {},
        "mixed": {"kinds": (kind, *others)},
        "company": {"customer": "company"},
        "pa": {"customer": "pa"},
        "with_link": {"renew_link": True},
        "without_link": {"renew_link": False},
    }
    if kind in ("expiry", "autorenew", "card_expiring"):
        variants["one_day"] = {"days": 1}
        variants["expiry_day"] = {"days": 0}
    if kind == "storage":
        variants["critical"] = {"storage_level": "critical", "extra_gb": 1}
        variants["enough_space"] = {"extra_gb": 0}
    return variants


# Reminders -----------------------------------------------------------------------------------------


def reminder_sample(name: str, lang: str, v: SampleVariant) -> ReminderContext:
    kinds = v.kinds or (TEMPLATE_KINDS[name],)
    if len(kinds) > len(SERVICES):
        raise InputError(f"at most {len(SERVICES)} items in a sample, got {len(kinds)}")
    first_days = DEFAULT_DAYS[kinds[0]] if v.days is None else v.days
    today = FIRST_EXPIRY - timedelta(days=first_days)
    items = []
    for index, kind in enumerate(kinds):
        days = first_days if index == 0 else DEFAULT_DAYS[kind]
        items.append(_item(index, kind, today + timedelta(days=days), today, v))
    actions = [ACTION_BY_KIND[item.kind] for item in items if item.kind in ACTION_BY_KIND]
    wants_link = bool(actions) if v.renew_link is None else v.renew_link
    action = ("renew" if "renew" in actions or not actions else "reactivate") if wants_link else None
    return ReminderContext(
        lang=lang,
        today=today,
        customer=_customer(v, lang),
        company=COMPANY,
        items=tuple(items),
        renew_link=RENEW_LINK if wants_link else None,
        action=action,
    )


def _item(index: int, kind: str, expires_on: date, today: date, v: SampleVariant) -> ReminderItem:
    storage = None
    quota = 5120
    used = 1200
    if kind == "storage":
        used = 4864 if v.storage_level == "critical" else 4403
        storage = StorageInfo(percent=used * 100 // quota, level=v.storage_level, extra_gb_needed=v.extra_gb)
    autorenew = kind in ("autorenew", "card_expiring")
    card_expires = None
    if kind == "card_expiring":  # valid until the month before the renewal
        card_expires = (expires_on.replace(day=1) - timedelta(days=1)).replace(day=1)
    elif kind == "autorenew":
        card_expires = date(expires_on.year + 2, 5, 1)
    label, username, product = SERVICES[index]
    service = ServiceInfo(
        id=101 + index,
        label=label,
        username=username,
        product_name=product,
        expires_on=expires_on,
        autorenew=autorenew,
        payment_method="card" if autorenew else "none",
        card_expires=card_expires,
        storage_quota_mb=quota,
        storage_used_mb=used,
    )
    return ReminderItem(
        kind=kind,
        step=STEPS[kind],
        service=service,
        days_to_expiry=(expires_on - today).days,
        grace_ends_on=expires_on + timedelta(days=GRACE_DAYS),
        storage=storage,
    )


def _customer(v: SampleVariant, lang: str) -> CustomerInfo:
    if v.customer not in CUSTOMERS:
        raise InputError(f"customer: expected one of {', '.join(CUSTOMERS)}, got {v.customer!r}")
    name, email = CUSTOMERS[v.customer]
    return CustomerInfo(
        name=v.customer_name if v.customer_name is not None else name,
        kind=v.customer,
        email=email,
        language=lang,
        split_payment=v.customer == "pa",
    )


# Orders --------------------------------------------------------------------------------------------


def payment_sample(name: str, lang: str, v: SampleVariant) -> PaymentContext:
    customer = _customer(v, lang)
    order = _order(name, v, customer)
    today = {
        "payment_instructions": order.created_on,
        "payment_reminder": order.created_on + timedelta(days=3 if v.reminder_number <= 1 else 7),
        "order_cancelled": order.cancel_on,
    }[name]
    missing = v.pa_missing
    if missing is None:
        missing = PA_FIELDS if customer.is_pa else ()
    return PaymentContext(
        lang=lang,
        today=today,
        customer=customer,
        company=COMPANY,
        order=order,
        bank=BankDetails(beneficiary="Example S.r.l.", iban="IT60X0542811101000000123456", bank_name="Banca Esempio"),
        postal=PostalDetails(account="000012345678", holder="Example S.r.l."),
        pay_link=PAY_LINK,
        reminder_number=v.reminder_number if name == "payment_reminder" else 0,
        pa_missing=tuple(missing),
        split_payment_valid_until=None,
    )


def _order(name: str, v: SampleVariant, customer: CustomerInfo) -> OrderInfo:
    net = Decimal("1234.56") * v.years
    fee = BANK_TRANSFER_FEE if v.method == "bank_transfer" else Decimal("0.00")
    vat = ((net + fee) * VAT_RATE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    total = net + fee + vat
    split = customer.split_payment
    missing = set(PA_FIELDS if v.pa_missing is None and customer.is_pa else v.pa_missing or ())
    services = tuple(_item(i, "expiry", FIRST_EXPIRY + timedelta(days=15 * i), ORDER_DAY, v).service for i in (0, 1))
    pa = customer.is_pa
    return OrderInfo(
        number="2026-000123",
        type=v.order_type,
        status="cancelled" if name == "order_cancelled" else "awaiting_payment",
        payment_method=v.method,
        years=v.years,
        net=net,
        fee=fee,
        vat=vat,
        total=total,
        due=net + fee if split else total,
        split_payment=split,
        created_on=ORDER_DAY,
        cancel_on=ORDER_DAY + timedelta(days=CANCEL_AFTER_DAYS),
        services=services,
        cig="Z213346E34" if pa and "cig" not in missing else None,
        cup="J51B21000010007" if pa else None,
        office_code="UFV4K2" if pa and "office_code" not in missing else None,
        pa_username=services[0].username if pa and "username" not in missing else None,
    )


# Automatic replies ---------------------------------------------------------------------------------

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
    },
    "reply_renewal": {
        "default": {"method": "paypal", "years": 2},
        "capped_bank_transfer": {"years_asked": 3},
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
    "other": (),
}
SERVICE_INTENTS = frozenset({"autorenew_off", "autorenew_on", "cancellation", "upgrade_request"})


def reply_sample(name: str, lang: str, v: SampleVariant) -> ReplyContext:
    intent = v.intent or REPLY_INTENTS[name]
    customer = _customer(v, lang)
    known = v.outcome in ("applied", "staff")  # a ticket or "none": maybe someone we could not match
    order = None
    if known and intent in ("pa_billing_details", "renewal_request", "payment_notice"):
        years = v.years if v.years_asked is None else 1
        chosen = dataclasses.replace(v, years=years, pa_missing=v.pa_missing if v.pa_missing is not None else ())
        order = _order("payment_instructions", chosen, customer)
        if intent == "pa_billing_details" and v.outcome == "staff":  # held for staff: not on the order yet
            order = dataclasses.replace(order, cig=None, office_code=None, pa_username=None)
        elif intent == "pa_billing_details" and v.pa_missing:
            order = dataclasses.replace(order, cig=None)
    understood = [ReplyField(field, value) for field, value in REPLY_FIELDS[intent]]
    invalid: tuple[ReplyInvalid, ...] = ()
    if v.invalid:
        understood = [f for f in understood if f.name != "cig"]
        invalid = (ReplyInvalid("cig", "Z213346E35", "CIG checksum does not match"),)
    services: tuple[ServiceInfo, ...] = ()
    if intent in SERVICE_INTENTS and known:
        services = (_item(0, "expiry", FIRST_EXPIRY, ORDER_DAY, v).service,)
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
        years_asked=v.years_asked,
        services=services,
    )
