"""Realistic sample contexts for every template, for the rendering tests and ``mailbot render --sample``.

``sample_context(name, lang, **variant)`` builds the context a template would get from the sweeps,
from fixed, plausible data (``samples_data``): a private customer, a company or a public administration,
services with the usual products, an order of € 1.234,56 net. Keyword arguments pick a variant (see
``SampleVariant``): several items of mixed kinds, a public administration with split payment and
missing billing details, each payment method, one day to expiry... ``sample_variants(name)`` names
the interesting ones for each template. Dates are fixed: the first item of a reminder always
expires on 31 December 2026, and ``today`` moves to match ``days``.

Reminder and payment samples are built here, automatic replies (the account's status too) in
``samples_reply``.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from mailbot.errors import InputError
from mailbot.outbound.context import (
    ALL_TEMPLATES,
    NOTICE_TEMPLATES,
    PAYMENT_TEMPLATES,
    REPLY_TEMPLATES,
    STATUS_TEMPLATE,
    AccountStatusContext,
    BankDetails,
    ChangeNoticeContext,
    PaymentContext,
    PostalDetails,
    ReminderContext,
    ReplyContext,
)
from mailbot.outbound.samples_data import (
    COMPANY,
    FIRST_EXPIRY,
    GRACE_DAYS,
    PA_FIELDS,
    SERVICES,
    SampleVariant,
    sample_customer,
    sample_invoice,
    sample_item,
    sample_order,
)
from mailbot.outbound.samples_reply import (
    NOTICE_VARIANTS,
    REPLY_VARIANTS,
    STATUS_VARIANTS,
    notice_sample,
    reply_sample,
    status_sample,
)

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
ACTION_BY_KIND = {"expiry": "renew", "grace": "reactivate"}


def sample_context(
    name: str, lang: str, **variant: Any
) -> ReminderContext | PaymentContext | ReplyContext | ChangeNoticeContext | AccountStatusContext:
    """The sample context of template ``name`` in ``lang``; keyword arguments are ``SampleVariant`` fields."""
    if name not in ALL_TEMPLATES:
        raise InputError(f"no template named {name!r} (known: {', '.join(ALL_TEMPLATES)})")
    known = {f.name for f in dataclasses.fields(SampleVariant)}
    unknown = sorted(set(variant) - known)
    if unknown:
        raise InputError(f"unknown sample variant {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    chosen = SampleVariant(**variant)
    if name == STATUS_TEMPLATE:
        return status_sample(lang, chosen)
    if name in PAYMENT_TEMPLATES:
        return payment_sample(name, lang, chosen)
    if name in REPLY_TEMPLATES:
        return reply_sample(name, lang, chosen)
    if name in NOTICE_TEMPLATES:
        return notice_sample(name, lang, chosen)
    return reminder_sample(name, lang, chosen)


def sample_variants(name: str) -> dict[str, dict[str, Any]]:
    """The named variants worth looking at for template ``name`` (always including ``default``)."""
    if name == STATUS_TEMPLATE:
        return STATUS_VARIANTS
    if name in REPLY_TEMPLATES:
        return REPLY_VARIANTS[name]
    if name in NOTICE_TEMPLATES:
        return NOTICE_VARIANTS[name]
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
        items.append(sample_item(index, kind, today + timedelta(days=days), today, v))
    actions = [ACTION_BY_KIND[item.kind] for item in items if item.kind in ACTION_BY_KIND]
    wants_link = bool(actions) if v.renew_link is None else v.renew_link
    action = ("renew" if "renew" in actions or not actions else "reactivate") if wants_link else None
    return ReminderContext(
        lang=lang,
        today=today,
        customer=sample_customer(v, lang),
        company=COMPANY,
        items=tuple(items),
        renew_link=RENEW_LINK if wants_link else None,
        action=action,
    )


# Orders --------------------------------------------------------------------------------------------


def payment_sample(name: str, lang: str, v: SampleVariant) -> PaymentContext:
    customer = sample_customer(v, lang)
    order = sample_order(name, v, customer)
    today = {
        "payment_instructions": order.created_on,
        "payment_reminder": order.created_on + timedelta(days=3 if v.reminder_number <= 1 else 7),
        "order_cancelled": order.cancel_on,
        "payment_confirmation": order.created_on + timedelta(days=2),
        "invoice": order.created_on + timedelta(days=2),
        "invoice_reminder": order.created_on + timedelta(days=63),
        "charge_failed": order.created_on,
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
        reminder_number=v.reminder_number if name in ("payment_reminder", "invoice_reminder") else 0,
        pa_missing=tuple(missing),
        split_payment_valid_until=None,
        invoice=sample_invoice(order, customer, order.created_on + timedelta(days=2), unpaid=name == "invoice_reminder")
        if name in ("invoice", "invoice_reminder")
        else None,
    )
