"""The status of an account (issue 12): what ``mailbot status`` prints and the ``account_status`` email
shows, from the same values.

Pure: the account's facts as loaded (``AccountFacts``: the customer with its billing data, each service,
each order with the number of its invoice), the day, the time zone and the storage levels in; an
``AccountStatusContext`` out. What it works out:

- expiry: ``expired`` once past, ``soon`` from ``EXPIRY_SOON_DAYS`` (90) days before it, as DOMAIN.md shows
  an expiry in red; the days left (negative once expired);
- storage: used over quota, rounded down, and the level of the storage alerts (``storage.warn_percent``,
  ``storage.critical_percent``); a plan without storage has none;
- orders: newest first (by creation, then number), each on the day it was made in the configured time
  zone, with the amount due and its invoice's number (None until one is issued);
- the billing address on one line, with no line break or control character of the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from mailbot.config import StorageConfig
from mailbot.domain import CustomerFacts, OrderStatus, OrderType, PaymentMethod, ServiceStatus
from mailbot.outbound.context import (
    AccountStatusContext,
    BillingInfo,
    CompanyInfo,
    CustomerInfo,
    OrderStatusInfo,
    ServiceStatusInfo,
)
from mailbot.outbound.render import cents, oneline
from mailbot.outbound.storage import storage_level, usage_percent

EXPIRY_SOON_DAYS = 90  # DOMAIN.md: an expiry is shown in red from 90 days before it
EXPIRED = "expired"
SOON = "soon"


@dataclass(frozen=True)
class AccountService:
    external_id: str
    label: str
    username: str
    product_name: str
    expires_on: date
    autorenew: bool
    payment_method: PaymentMethod
    storage_used_mb: int
    storage_quota_mb: int
    status: ServiceStatus


@dataclass(frozen=True)
class AccountOrder:
    number: str
    type: OrderType
    created_at: datetime  # aware
    due_cents: int
    status: OrderStatus
    invoice_number: str | None  # of its issued invoice


@dataclass(frozen=True)
class AccountFacts:
    """An account as loaded: the customer, its services (in their order) and its orders (any order)."""

    customer: CustomerFacts
    services: tuple[AccountService, ...]
    orders: tuple[AccountOrder, ...]


def expiry_flag(expires_on: date, today: date, soon_days: int = EXPIRY_SOON_DAYS) -> str | None:
    """``expired`` once past, ``soon`` from ``soon_days`` days before it (the expiry day included), else None."""
    left = (expires_on - today).days
    if left < 0:
        return EXPIRED
    return SOON if left <= soon_days else None


def billing_address(c: CustomerFacts) -> str:
    """``Via Roma 1, 20121 Milano (MI)``; the country only when not Italy; "" when none is on file."""
    town = " ".join(oneline(part) for part in (c.postcode, c.city) if part and oneline(part))
    if town and c.province and oneline(c.province):
        town = f"{town} ({oneline(c.province)})"
    parts = [oneline(c.street or ""), town]
    country = oneline(c.country or "")
    if any(parts) and country and country.upper() != "IT":
        parts.append(country)
    return ", ".join(part for part in parts if part)


def service_status(s: AccountService, today: date, storage: StorageConfig, soon_days: int) -> ServiceStatusInfo:
    percent = usage_percent(s.storage_used_mb, s.storage_quota_mb)
    level = storage_level(percent, storage.warn_percent, storage.critical_percent) if s.storage_quota_mb > 0 else None
    return ServiceStatusInfo(
        label=s.label,
        username=s.username,
        product_name=s.product_name,
        expires_on=s.expires_on,
        days_to_expiry=(s.expires_on - today).days,
        expiry_flag=expiry_flag(s.expires_on, today, soon_days),
        autorenew=s.autorenew,
        payment_method=s.payment_method.value,
        storage_used_mb=s.storage_used_mb,
        storage_quota_mb=s.storage_quota_mb,
        storage_percent=percent,
        storage_level=level,
        status=s.status.value,
    )


def order_status(o: AccountOrder, tz: tzinfo) -> OrderStatusInfo:
    return OrderStatusInfo(
        number=o.number,
        type=o.type.value,
        created_on=o.created_at.astimezone(tz).date(),
        due=cents(o.due_cents),
        status=o.status.value,
        invoice_number=o.invoice_number,
    )


def account_status(
    facts: AccountFacts,
    *,
    today: date,
    tz: tzinfo,
    lang: str,
    company: CompanyInfo,
    storage: StorageConfig,
    subject: str,
    to_address: str | None = None,
    soon_days: int = EXPIRY_SOON_DAYS,
) -> AccountStatusContext:
    """The account's status on ``today`` in ``lang``, for ``to_address`` (default: the customer's email)."""
    c = facts.customer
    orders = sorted(facts.orders, key=lambda o: (o.created_at, o.number), reverse=True)
    return AccountStatusContext(
        lang=lang,
        today=today,
        customer=CustomerInfo(c.name, c.kind.value, to_address or c.email, lang, c.split_payment),
        company=company,
        subject=subject,
        billing=BillingInfo(
            vat_number=c.vat_number,
            fiscal_code=c.fiscal_code,
            pec=c.pec,
            recipient_code=c.recipient_code,
            address=billing_address(c),
            split_payment=c.split_payment,
        ),
        services=tuple(service_status(s, today, storage, soon_days) for s in facts.services),
        orders=tuple(order_status(o, tz) for o in orders),
    )
