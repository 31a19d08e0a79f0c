"""Registering money received for an order, and completing the order it pays.

``record_payment`` works inside the caller's transaction, like ``orders.create_order``: the order is
re-read under a row lock, ``settle`` decides what the payment does, and the payment row, the moved
expiries, the confirmation email, the invoice and any ticket for staff are written together or not at
all. The same reference told twice for the same order records nothing the second time; a statement
line or provider charge (``line_key``) is recorded once whatever its reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot import audit
from mailbot.act.tickets_open import open_support_ticket
from mailbot.billing.invoices import issue_now, schedule_invoice
from mailbot.billing.settle import OrderMoney, Settlement, same_reference, settle
from mailbot.db.models import Order, Payment
from mailbot.domain import (
    OPEN_ORDER_STATUSES,
    AuditEntry,
    InvoiceStatus,
    PaymentMethod,
    PaymentSource,
)
from mailbot.orders import Mailing, mark_paid
from mailbot.outbound.order_mail import local_day, plan_order_email
from mailbot.outbound.plan import enqueue_planned
from mailbot.outbound.render import cents


@dataclass(frozen=True)
class PaymentIn:
    """A payment as told: by staff, a file, a statement line or the payment provider."""

    amount_cents: int
    method: PaymentMethod
    paid_on: date
    source: PaymentSource
    reference: str | None = None
    line_key: str | None = None  # the statement line or provider charge it comes from


@dataclass(frozen=True)
class Recorded:
    settlement: Settlement
    payment_id: int | None  # None when nothing was recorded (already recorded)
    ticket_id: int | None  # the ticket for staff, when the payment needs them
    moved: dict[int, tuple[date, date]]  # service id: (old expiry, new expiry), when the order completed


def record_payment(
    session: Session, mailing: Mailing, order: Order, payment: PaymentIn, *, now: datetime, actor: str
) -> Recorded:
    """Record ``payment`` for ``order`` and do what it settles (see ``settle``)."""
    session.refresh(order, with_for_update=True)
    if payment.line_key is not None and _line_recorded(session, payment.line_key):
        return Recorded(Settlement.ALREADY_RECORDED, None, None, {})
    settlement = settle(_money(session, order), payment.amount_cents, payment.reference)
    if settlement == Settlement.ALREADY_RECORDED:
        return Recorded(settlement, None, None, {})
    row = Payment(
        order_id=order.id,
        amount_cents=payment.amount_cents,
        method=payment.method,
        reference=payment.reference,
        paid_on=payment.paid_on,
        source=payment.source,
        line_key=payment.line_key,
        recorded_at=now,
        actor=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        AuditEntry(
            "payment.recorded",
            "order",
            order.number,
            {
                "payment_id": row.id,
                "amount_cents": payment.amount_cents,
                "method": payment.method.value,
                "reference": payment.reference,
                "source": payment.source.value,
                "settlement": settlement.value,
            },
        ),
        actor=actor,
        now=now,
    )
    moved = complete_order(session, mailing, order, now=now, actor=actor) if settlement.completes else {}
    ticket_id = _tell_staff(session, order, row, settlement, now) if settlement.for_staff else None
    return Recorded(settlement, row.id, ticket_id, moved)


def complete_order(
    session: Session, mailing: Mailing, order: Order, *, now: datetime, actor: str
) -> dict[int, tuple[date, date]]:
    """The order is paid: every service's expiry moves, the customer is told the new expiry, and the
    invoice is scheduled (a card's or PayPal's issued at once; a public administration's may be out already)."""
    moved = mark_paid(session, order, now, actor)
    planned = plan_order_email(order, "paid", mailing.config, mailing.links, now)
    enqueue_planned(session, [planned], renderer=mailing.renderer, mail=mailing.config.mail, now=now)
    today = local_day(now, mailing.config)
    invoice = schedule_invoice(session, mailing.config, order, today)
    if invoice.status == InvoiceStatus.SCHEDULED and invoice.issue_on <= today:
        issue_now(session, mailing, invoice, now=now, actor=actor)
    return moved


def received_cents(session: Session, order: Order) -> int:
    amounts = session.scalars(select(Payment.amount_cents).where(Payment.order_id == order.id))
    return sum(amounts)


def _line_recorded(session: Session, line_key: str) -> bool:
    return session.scalar(select(Payment.id).where(Payment.line_key == line_key)) is not None


def _money(session: Session, order: Order) -> OrderMoney:
    rows = session.execute(select(Payment.amount_cents, Payment.reference).where(Payment.order_id == order.id)).all()
    references = frozenset(ref for _, reference in rows if (ref := same_reference(reference)) is not None)
    return OrderMoney(
        number=order.number,
        is_open=order.status in OPEN_ORDER_STATUSES,
        due_cents=order.due_cents,
        received_cents=sum(amount for amount, _ in rows),
        references=references,
    )


_WHY = {
    Settlement.PARTIAL: "less than due: the order stays open; ask the customer for the rest",
    Settlement.EXCESS: "more than due: the order is complete; refund or credit the difference",
    Settlement.ORDER_CLOSED: "the order was no longer open: check and refund, or make a new order",
}


def _tell_staff(session: Session, order: Order, payment: Payment, settlement: Settlement, now: datetime) -> int:
    received = received_cents(session, order)
    details: dict[str, Any] = {
        "settlement": settlement.value,
        "payment_id": payment.id,
        "amount_cents": payment.amount_cents,
        "received_cents": received,
        "due_cents": order.due_cents,
        "reference": payment.reference,
        "order_status": order.status.value,
    }
    summary = (
        f"Payment of {cents(payment.amount_cents)} for order {order.number} ({order.status.value}): "
        f"received {cents(received)} of {cents(order.due_cents)} due; {_WHY[settlement]}"
    )
    return open_support_ticket(
        session,
        intent="payment_notice",
        summary=summary,
        details=details,
        now=now,
        customer_id=order.customer_id,
        order_id=order.id,
    )
