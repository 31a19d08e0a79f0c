"""Orders: numbering, pricing, creation with payment instructions, payment and cancellation.

``price_order`` is pure. ``create_order``, ``mark_paid`` and ``cancel_order`` work inside the
caller's transaction (they flush, never commit), so an order and the email announcing it are
written together or not at all (transactional outbox).

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
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailbot import audit
from mailbot.billing.fatturapa_values import split_payment_applies
from mailbot.config import Config, PaymentsConfig
from mailbot.db.models import Customer, Order, OrderCounter, Payment, Product, Service
from mailbot.domain import (
    OPEN_ORDER_STATUSES,
    AuditEntry,
    Cadence,
    CustomerKind,
    OrderStatus,
    OrderType,
    PaymentMethod,
    ReactivationFrom,
    ServiceStatus,
)
from mailbot.errors import InputError
from mailbot.outbound.links import LinkSigner
from mailbot.outbound.order_mail import plan_order_email
from mailbot.outbound.plan import enqueue_planned
from mailbot.outbound.render import Renderer

MIN_YEARS = 1
PAYABLE_METHODS = frozenset(PaymentMethod) - {PaymentMethod.NONE}


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
        raise InputError("an order needs at least one service")
    if method not in PAYABLE_METHODS:
        raise InputError(f"payment method {method.value!r} cannot pay an order")
    for product in products:
        limit = product.years_allowed
        if not MIN_YEARS <= years <= limit:
            kind = "promotional product" if product.promo else "product"
            raise InputError(f"years: {years} not allowed for {kind} {product.code} (1 to {limit} years)")
    fee = 0
    if method == PaymentMethod.BANK_TRANSFER:
        if years != 1:
            raise InputError(f"years: bank transfer renews for one year only, not {years}")
        fee = bank_transfer_fee_cents(products, terms.bank_transfer_fee_per)
    net = sum(yearly_price_cents(p) * years for p in products)
    vat = int((Decimal(net + fee) * terms.vat_rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    total = net + fee + vat
    split = is_split_payment(customer, day, terms.split_payment_valid_until)
    return Amounts(net, fee, vat, total, net + fee if split else total, split)


def format_order_number(year: int, seq: int) -> str:
    return f"ORD-{year}-{seq:06d}"


def next_order_number(session: Session, year: int) -> str:
    """The next number of ``year``, from its counter row locked until the transaction ends.

    PostgreSQL: ``SELECT ... FOR UPDATE`` serialises the increments; a missing year row is
    inserted in a savepoint, and the loser of a concurrent insert simply reads the winner's row.
    SQLite: every write transaction starts with BEGIN IMMEDIATE, so writers are already serial.
    """
    query = (
        select(OrderCounter)
        .where(OrderCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    counter = session.scalar(query)
    if counter is None:
        try:
            with session.begin_nested():
                session.add(OrderCounter(year=year, last=0))
        except IntegrityError:
            pass  # another transaction created it first; its row is read (and locked) below
        counter = session.scalars(query).one()
    counter.last += 1
    session.flush()
    return format_order_number(year, counter.last)


def orderable_problem(service: Service, today: date, grace_days: int) -> str | None:
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


def is_orderable(service: Service, today: date, grace_days: int) -> bool:
    """Active, and not past the grace period that follows its expiry."""
    return orderable_problem(service, today, grace_days) is None


class Mailing(Protocol):
    """What making an order's emails needs (an ``App`` has it)."""

    @property
    def config(self) -> Config: ...

    @property
    def links(self) -> LinkSigner: ...

    @property
    def renderer(self) -> Renderer: ...


@dataclass(frozen=True)
class NewOrder:
    """What an order is made of: the customer's services to renew for ``years``, paid by ``method``.
    ``type`` None: a reactivation when a service has expired, else a renewal (``order_type_for``)."""

    customer: Customer
    services: Sequence[Service]
    years: int
    method: PaymentMethod
    type: OrderType | None = None


def order_type_for(expiries: Sequence[date], today: date) -> OrderType:
    """A reactivation when any of the services has expired (its expiry day is past), else a renewal."""
    return OrderType.REACTIVATION if any(day < today for day in expiries) else OrderType.RENEWAL


def create_order(
    session: Session,
    mailing: Mailing,
    new: NewOrder,
    *,
    now: datetime,
    actor: str = "mailbot",
    instructions: bool = True,
) -> Order:
    """Insert an order awaiting payment and enqueue its payment instructions (unless ``instructions`` is
    false: an automatic renewal's charge, paid or failed, says what to do itself), in the caller's transaction."""
    config = mailing.config
    customer, services, years, method = new.customer, new.services, new.years, new.method
    today = now.astimezone(config.tz).date()
    _check_services(customer, services, today, config.reminders.grace_days)
    order_type = new.type or order_type_for([s.expires_on for s in services], today)
    amounts = price_order([s.product for s in services], years, method, customer, config.payments, day=today)
    is_pa = customer.kind == CustomerKind.PUBLIC_ADMINISTRATION
    order = Order(
        number=next_order_number(session, today.year),
        customer=customer,
        type=order_type,
        status=OrderStatus.AWAITING_PAYMENT,
        payment_method=method,
        years=years,
        net_cents=amounts.net_cents,
        fee_cents=amounts.fee_cents,
        vat_cents=amounts.vat_cents,
        total_cents=amounts.total_cents,
        due_cents=amounts.due_cents,
        split_payment=amounts.split_payment,
        # A PA's office code is usually known from its billing data; CIG and username must come from them.
        office_code=customer.recipient_code if is_pa and customer.recipient_code else None,
        created_at=now,
        updated_at=now,
    )
    order.services = list(services)
    session.add(order)
    session.flush()
    audit.record(
        session,
        AuditEntry(
            "order.created",
            "order",
            order.number,
            {
                "order_id": order.id,
                "type": order_type.value,
                "method": method.value,
                "years": years,
                "services": [s.id for s in services],
                "due_cents": amounts.due_cents,
            },
        ),
        actor=actor,
        now=now,
    )
    if instructions:
        planned = plan_order_email(order, "instructions", config, mailing.links, now)
        enqueue_planned(session, [planned], renderer=mailing.renderer, mail=config.mail, now=now)
    return order


def _check_services(customer: Customer, services: Sequence[Service], today: date, grace_days: int) -> None:
    if not services:
        raise InputError("an order needs at least one service")
    ids = [s.id for s in services]
    if len(set(ids)) != len(ids):
        raise InputError("a service appears twice in the order")
    for service in services:
        if service.customer_id != customer.id:
            raise InputError(f"service {service.external_id} does not belong to customer {customer.external_id}")
        problem = orderable_problem(service, today, grace_days)
        if problem is not None:
            raise InputError(f"service {service.external_id} cannot be renewed: {problem}")


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


def _lock_open(session: Session, order: Order, action: str) -> None:
    """Re-read the order under a row lock and refuse unless it is still open."""
    session.refresh(order, with_for_update=True)
    if order.status not in OPEN_ORDER_STATUSES:
        raise InputError(f"order {order.number} is {order.status.value}: it cannot be {action}")


def mark_paid(
    session: Session, order: Order, now: datetime, actor: str, *, paid_on: date | None = None
) -> dict[int, tuple[date, date]]:
    """Register the payment: the order is paid and each service's expiry moves by the order's years
    (``new_expiry``), and a suspended service is active again.

    ``paid_on`` is the day the customer paid, where a reactivation may restart from; by default the day
    of the order's last recorded payment (``billing.payments`` records it first), else ``now``'s day.
    Returns ``{service id: (old expiry, new expiry)}``.
    """
    _lock_open(session, order, "paid")
    paid_on = paid_on or _last_payment_day(session, order) or now.date()
    order.status = OrderStatus.PAID
    order.paid_at = now
    order.updated_at = now
    moved: dict[int, tuple[date, date]] = {}
    restored: dict[str, list[str]] = {}  # a suspended (or cancelled) service made active again
    for service in order.services:
        old = service.expires_on
        service.expires_on = new_expiry(old, order.years, order.type, service.product.reactivation_from, paid_on)
        if service.status != ServiceStatus.ACTIVE:
            restored[str(service.id)] = [service.status.value, ServiceStatus.ACTIVE.value]
        service.status = ServiceStatus.ACTIVE
        service.updated_at = now
        moved[service.id] = (old, service.expires_on)
    session.flush()
    details: dict[str, object] = {
        "order_id": order.id,
        "paid_on": paid_on.isoformat(),
        "expiry": {str(sid): [old.isoformat(), new.isoformat()] for sid, (old, new) in moved.items()},
    }
    if restored:
        details["status"] = restored
    audit.record(session, AuditEntry("order.paid", "order", order.number, details), actor=actor, now=now)
    return moved


def _last_payment_day(session: Session, order: Order) -> date | None:
    query = select(Payment.paid_on).where(Payment.order_id == order.id).order_by(Payment.id.desc()).limit(1)
    return session.scalar(query)


def cancel_order(session: Session, order: Order, now: datetime, actor: str, reason: str) -> None:
    """Cancel an open order (no email here: the automatic cancellation sends its own notice)."""
    _lock_open(session, order, "cancelled")
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = now
    order.updated_at = now
    session.flush()
    audit.record(
        session,
        AuditEntry("order.cancelled", "order", order.number, {"order_id": order.id, "reason": reason}),
        actor=actor,
        now=now,
    )


def find_order(session: Session, number: str) -> Order | None:
    return session.scalar(select(Order).where(Order.number == number.strip().upper()))
