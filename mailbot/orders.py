"""Orders: numbering, creation with payment instructions, payment and cancellation.

The rules (price, which services an order may cover, its type, the expiry it gives) are pure, in
``mailbot.order_rules`` (re-exported here). ``create_order``, ``mark_paid`` and ``cancel_order`` work
inside the caller's transaction (they flush, never commit), so an order and the email announcing it are
written together or not at all (transactional outbox).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot import audit
from mailbot.config import Config
from mailbot.db.counters import next_in_year
from mailbot.db.models import Customer, Order, OrderCounter, Payment, Service, order_service
from mailbot.domain import (
    OPEN_ORDER_STATUSES,
    AuditEntry,
    CustomerKind,
    OrderStatus,
    OrderType,
    PaymentMethod,
    ServiceStatus,
)
from mailbot.errors import InputError
from mailbot.order_rules import MIN_YEARS as MIN_YEARS
from mailbot.order_rules import PAYABLE_METHODS as PAYABLE_METHODS
from mailbot.order_rules import Amounts as Amounts
from mailbot.order_rules import OrderRefused as OrderRefused
from mailbot.order_rules import add_years as add_years
from mailbot.order_rules import bank_transfer_fee_cents as bank_transfer_fee_cents
from mailbot.order_rules import check_services as check_services
from mailbot.order_rules import is_orderable as is_orderable
from mailbot.order_rules import is_split_payment as is_split_payment
from mailbot.order_rules import is_split_payment_customer as is_split_payment_customer
from mailbot.order_rules import new_expiry as new_expiry
from mailbot.order_rules import order_type_for as order_type_for
from mailbot.order_rules import orderable_problem as orderable_problem
from mailbot.order_rules import price_order as price_order
from mailbot.order_rules import yearly_price_cents as yearly_price_cents
from mailbot.outbound.links import LinkSigner
from mailbot.outbound.order_mail import plan_order_email
from mailbot.outbound.plan import enqueue_planned
from mailbot.outbound.render import Renderer


def format_order_number(year: int, seq: int) -> str:
    return f"ORD-{year}-{seq:06d}"


def next_order_number(session: Session, year: int) -> str:
    """The next order number of ``year`` (``db.counters``: per year, without gaps)."""
    return format_order_number(year, next_in_year(session, OrderCounter, year))


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
    check_services(customer, services, today, config.reminders.grace_days)
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


def refuse_open_orders(session: Session, services: Sequence[Service]) -> None:
    """Refuse services already in an open order: a second order would be paid twice. Checked by the
    caller before ``create_order``, as a reply's renewal is (``act.changes``) and ``orders create`` does;
    not by ``create_order`` itself, which an automatic renewal's charge also uses (``billing.charges``)."""
    query = (
        select(order_service.c.service_id, Order.number, Order.status)
        .join(Order, Order.id == order_service.c.order_id)
        .where(Order.status.in_(OPEN_ORDER_STATUSES), order_service.c.service_id.in_([s.id for s in services]))
        .order_by(Order.id)
        .limit(1)
    )
    found = session.execute(query).first()
    if found is not None:
        name = next(s.external_id for s in services if s.id == found.service_id)
        raise OrderRefused(
            f"service {name} is already in open order {found.number} ({found.status.value}): "
            "cancel it or register its payment first",
            "services",
        )


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
