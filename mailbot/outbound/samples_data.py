"""The fixed, plausible world the sample contexts are built from, and the parts every kind of sample shares.

A private customer, a company or a public administration (``CUSTOMERS``), services with the usual
products (``SERVICES``), an order of € 1.234,56 net a year created on ``ORDER_DAY``, the sender's
company; ``SampleVariant`` says what a sample changes from the everyday default. ``sample_customer``,
``sample_item`` and ``sample_order`` build those parts for the reminder, payment and reply samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from mailbot.errors import InputError
from mailbot.outbound.context import (
    CompanyInfo,
    CustomerInfo,
    InvoiceInfo,
    InvoiceLineInfo,
    OrderInfo,
    ReminderItem,
    ServiceInfo,
    StorageInfo,
)

FIRST_EXPIRY = date(2026, 12, 31)
ORDER_DAY = date(2026, 12, 1)
GRACE_DAYS = 90
CANCEL_AFTER_DAYS = 30
VAT_RATE = Decimal("0.22")
BANK_TRANSFER_FEE = Decimal("3.00")
STEPS = {
    "expiry": "before_30",
    "grace": "grace_7",
    "suspension": "suspended",
    "autorenew": "autorenew_30",
    "card_expiring": "autorenew_30",
    "storage": "storage_warning",
}
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
    method_asked: str | None = None  # renewal: the way to pay asked when the order is paid another way
    parts: tuple[tuple[str, str], ...] = ()  # a message of several requests: (intent, outcome) of each
    orders: bool = True  # account_status: the account has orders


def sample_item(index: int, kind: str, expires_on: date, today: date, v: SampleVariant) -> ReminderItem:
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


def sample_invoice(order: OrderInfo, customer: CustomerInfo, day: date, *, unpaid: bool = False) -> InvoiceInfo:
    """The invoice of the sample order: paid, but for a public administration's (issued before payment) or
    when ``unpaid``."""
    lines = [
        InvoiceLineInfo(
            f"Rinnovo {s.product_name} - {s.label} ({s.username}), {order.years} anno",
            Decimal(order.years),
            Decimal("617.28"),
            Decimal("617.28") * order.years,
        )
        for s in order.services
    ]
    if order.fee > 0:
        lines.append(
            InvoiceLineInfo("Spese di gestione del pagamento con bonifico bancario", Decimal(1), order.fee, order.fee)
        )
    return InvoiceInfo(
        number="2026/00042",
        issued_on=day,
        lines=tuple(lines),
        vat_rate=VAT_RATE * 100,
        net=order.net + order.fee,
        vat=order.vat,
        total=order.total,
        due=order.due,
        split_payment=order.split_payment,
        electronic=True,
        paid=not (customer.is_pa or unpaid),
        payment_due_on=day + timedelta(days=60) if customer.is_pa or unpaid else None,
        seller="Example S.r.l., P.IVA IT01234560157, Via Esempio 1, 20121 Milano (MI), IT",
        buyer=f"{customer.name}, Via Roma 1, 20121 Milano (MI), IT",
        cig=order.cig,
        cup=order.cup,
    )


def sample_customer(v: SampleVariant, lang: str) -> CustomerInfo:
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


def sample_order(name: str, v: SampleVariant, customer: CustomerInfo) -> OrderInfo:
    net = Decimal("1234.56") * v.years
    fee = BANK_TRANSFER_FEE if v.method == "bank_transfer" else Decimal("0.00")
    vat = ((net + fee) * VAT_RATE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    total = net + fee + vat
    split = customer.split_payment
    missing = set(PA_FIELDS if v.pa_missing is None and customer.is_pa else v.pa_missing or ())
    services = tuple(
        sample_item(i, "expiry", FIRST_EXPIRY + timedelta(days=15 * i), ORDER_DAY, v).service for i in (0, 1)
    )
    pa = customer.is_pa
    return OrderInfo(
        number="2026-000123",
        type=v.order_type,
        status={"order_cancelled": "cancelled", "payment_confirmation": "paid"}.get(name, "awaiting_payment"),
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
