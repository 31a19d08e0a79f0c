"""The rules of an order, pure: what it costs, which services it may cover, the type it gets and the
expiry it gives once paid. Values in (the ORM rows read as values, the ``[payments]`` terms, the day),
values out; ``mailbot.orders`` writes.

Money: integer cents, VAT rounded half-up to the cent. The bank-transfer handling fee is charged once
per order (the highest of its products' fees) or per service (``payments.bank_transfer_fee_per``).
Split payment applies to a customer subject to it only while the regime is authorised
(``payments.split_payment_valid_until``, its last day): after it a public administration pays the total.

Expiry on payment (``new_expiry``): renewing adds the years to the service's natural expiry date,
never to today. A reactivation (an order made after expiry, within the grace period) also starts from
the old expiry date by default: the service ran on during grace, so the customer pays for continuous
service and every service keeps its anniversary. A product whose ``reactivation_from`` is ``payment``
restarts a reactivation from the day it was paid instead (never earlier than the old expiry, so a
service of the same order that had not expired keeps its anniversary).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Protocol

from mailbot.billing.fatturapa_values import split_payment_applies
from mailbot.config import PaymentsConfig
from mailbot.domain import Cadence, CustomerKind, OrderType, PaymentMethod, ReactivationFrom, ServiceStatus
from mailbot.errors import InputError

if TYPE_CHECKING:  # rows read as values: nothing here queries or writes
    from mailbot.db.models import Customer, Product, Service

MIN_YEARS = 1
PAYABLE_METHODS = frozenset(PaymentMethod) - {PaymentMethod.NONE}


class OrderRefused(InputError):
    """An order that cannot be made as asked; ``field`` names what to change: services, years or method."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Amounts:
    """Money of one order in integer cents."""

    net_cents: int
    fee_cents: int
    vat_cents: int
    total_cents: int
    due_cents: int  # what the customer pays us: the total, or net + fee under split payment
    split_payment: bool


def is_split_payment_customer(customer: Customer) -> bool:
    """Subject to split payment: a public administration, or a customer flagged so (listed companies)."""
    return bool(customer.split_payment) or customer.kind == CustomerKind.PUBLIC_ADMINISTRATION


def is_split_payment(customer: Customer, day: date, valid_until: date) -> bool:
    """Whether an order of ``day`` is under split payment: the customer is subject to it and the regime
    is still authorised (``valid_until``, its last day, is ``payments.split_payment_valid_until``)."""
    return split_payment_applies(is_split_payment_customer(customer), day, valid_until)


def yearly_price_cents(product: Product) -> int:
    """Price of one year of ``product``: monthly plans cost 12 monthly prices."""
    return product.price_cents * 12 if product.cadence == Cadence.MONTHLY else product.price_cents


def bank_transfer_fee_cents(products: Sequence[Product], per: str) -> int:
    """The handling fee of paying ``products`` by bank transfer: ``per`` "order" charges it once, the
    highest of the products' fees; "service" charges every service's fee."""
    fees = [p.bank_transfer_fee_cents for p in products]
    return sum(fees) if per == "service" else max(fees, default=0)


def price_order(
    products: Sequence[Product],
    years: int,
    method: PaymentMethod,
    customer: Customer,
    terms: PaymentsConfig,
    *,
    day: date,
) -> Amounts:
    """Amounts of an order of ``day`` renewing one service per entry of ``products`` for ``years`` years.

    ``terms`` gives the VAT rate, how the bank-transfer fee is charged and the end of split payment."""
    if not products:
        raise OrderRefused("an order needs at least one service", "services")
    if method not in PAYABLE_METHODS:
        raise OrderRefused(f"payment method {method.value!r} cannot pay an order", "method")
    for product in products:
        limit = product.years_allowed
        if not MIN_YEARS <= years <= limit:
            kind = "promotional product" if product.promo else "product"
            raise OrderRefused(f"years: {years} not allowed for {kind} {product.code} (1 to {limit} years)", "years")
    fee = 0
    if method == PaymentMethod.BANK_TRANSFER:
        if years != 1:
            raise OrderRefused(f"years: bank transfer renews for one year only, not {years}", "years")
        fee = bank_transfer_fee_cents(products, terms.bank_transfer_fee_per)
    net = sum(yearly_price_cents(p) * years for p in products)
    vat = int((Decimal(net + fee) * terms.vat_rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    total = net + fee + vat
    split = is_split_payment(customer, day, terms.split_payment_valid_until)
    return Amounts(net, fee, vat, total, net + fee if split else total, split)


class ServiceState(Protocol):
    """What orderability reads of a service: a ``Service`` row, or ``act.views.ServiceView``."""

    @property
    def status(self) -> ServiceStatus: ...

    @property
    def expires_on(self) -> date: ...


def orderable_problem(service: ServiceState, today: date, grace_days: int) -> str | None:
    """Why ``service`` cannot be renewed or reactivated on ``today``, or None when it can: it must be
    active and within the grace period that follows its expiry. Past grace (the sweep records it as
    suspended) only a new purchase brings it back."""
    grace_end = service.expires_on + timedelta(days=grace_days)
    expired = f"expired on {service.expires_on.isoformat()}, grace ended on {grace_end.isoformat()}"
    if service.status == ServiceStatus.SUSPENDED:
        return f"it is suspended ({expired}): a new purchase is needed"
    if service.status != ServiceStatus.ACTIVE:
        return f"status {service.status.value}"
    if today > grace_end:
        return f"{expired}: a new purchase is needed"
    return None


def is_orderable(service: ServiceState, today: date, grace_days: int) -> bool:
    """Active, and not past the grace period that follows its expiry."""
    return orderable_problem(service, today, grace_days) is None


def check_services(customer: Customer, services: Sequence[Service], today: date, grace_days: int) -> None:
    """Refuse services an order cannot cover: none, one twice, another customer's, or not orderable."""
    if not services:
        raise OrderRefused("an order needs at least one service", "services")
    ids = [s.id for s in services]
    if len(set(ids)) != len(ids):
        raise OrderRefused("a service appears twice in the order", "services")
    for service in services:
        if service.customer_id != customer.id:
            raise OrderRefused(
                f"service {service.external_id} does not belong to customer {customer.external_id}", "services"
            )
        problem = orderable_problem(service, today, grace_days)
        if problem is not None:
            raise OrderRefused(f"service {service.external_id} cannot be renewed: {problem}", "services")


def order_type_for(expiries: Sequence[date], today: date) -> OrderType:
    """A reactivation when any of the services has expired (its expiry day is past), else a renewal."""
    return OrderType.REACTIVATION if any(day < today for day in expiries) else OrderType.RENEWAL


def add_years(day: date, years: int) -> date:
    """Same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def new_expiry(
    expires_on: date, years: int, order_type: OrderType, reactivation_from: ReactivationFrom, paid_on: date
) -> date:
    """A service's expiry once an order of ``order_type`` for ``years`` is paid on ``paid_on``: the years
    added to its expiry; for a reactivation of a product that restarts from the payment, added to the
    payment day instead when that is later."""
    start = expires_on
    if order_type == OrderType.REACTIVATION and reactivation_from == ReactivationFrom.PAYMENT:
        start = max(expires_on, paid_on)
    return add_years(start, years)
