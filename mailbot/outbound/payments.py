"""The unpaid-order sweep: payment reminders and automatic cancellation.

Steps of an order awaiting payment, by its age in local days (``general.timezone``):
``instructions`` on day 0, ``reminder_1``/``reminder_2``... on each of
``payments.reminder_after_days`` (3, 7), ``cancelled`` on ``payments.cancel_after_days`` (30):
the order is cancelled and the customer told. Only the LATEST due step is sent (a sweep that
did not run for a week sends one reminder, not a backlog), and nothing when that step is in the
outbox already (key ``order:<id>:<step>``). Orders in ``payment_announced`` (the customer says
they paid; accounting checks it) get no reminders and are never cancelled automatically.

``plan_payments`` only reads; ``run_payment_sweep`` writes in one transaction, re-checking each
order under a row lock, so running it twice or concurrently sends and cancels everything once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload

from mailbot.app import App
from mailbot.config import Config, PaymentsConfig
from mailbot.db.engine import transaction
from mailbot.db.models import Invoice, Order, OutboundMessage, Service
from mailbot.domain import OrderStatus
from mailbot.orders import cancel_order
from mailbot.outbound.links import LinkSigner
from mailbot.outbound.order_mail import local_day, order_key, plan_order_email
from mailbot.outbound.plan import EnqueueResult, PlannedEmail, enqueue_planned

log = logging.getLogger(__name__)

SWEEP_ACTOR = "payment-sweep"
CANCEL_STEP = "cancelled"


def order_steps(policy: PaymentsConfig) -> tuple[tuple[int, str], ...]:
    """(day, step) of an unpaid order, in day order: instructions, reminder_1.., cancelled."""
    reminders = tuple((day, f"reminder_{n}") for n, day in enumerate(sorted(policy.reminder_after_days), 1))
    return ((0, "instructions"), *reminders, (policy.cancel_after_days, CANCEL_STEP))


def latest_due_step(created_on: date, today: date, policy: PaymentsConfig) -> str | None:
    """The last step whose day has come; None before creation (a clock running behind)."""
    age = (today - created_on).days
    due = [step for day, step in order_steps(policy) if day <= age]
    return due[-1] if due else None


def plan_payments(session: Session, config: Config, links: LinkSigner, now: datetime) -> list[PlannedEmail]:
    """The emails the unpaid-order sweep would send at ``now``; reads only."""
    today = local_day(now, config)
    orders = session.scalars(
        select(Order)
        # An order with an invoice (a public administration's, issued before payment) is paid against
        # the invoice: no unpaid-order reminders, never cancelled automatically.
        .where(Order.status == OrderStatus.AWAITING_PAYMENT, ~exists().where(Invoice.order_id == Order.id))
        .options(
            selectinload(Order.customer),
            selectinload(Order.services).selectinload(Service.product),
        )
        .order_by(Order.id)
    ).all()
    sent = set(
        session.scalars(
            select(OutboundMessage.idempotency_key)
            .join(Order, Order.id == OutboundMessage.order_id)
            .where(Order.status == OrderStatus.AWAITING_PAYMENT)
        )
    )
    planned = []
    for order in orders:
        step = latest_due_step(local_day(order.created_at, config), today, config.payments)
        if step is None or order_key(order.id, step) in sent:
            continue
        planned.append(plan_order_email(order, step, config, links, now))
    return planned


def run_payment_sweep(app: App, now: datetime) -> EnqueueResult:
    """Cancel the orders unpaid for too long and enqueue the due payment emails, in one transaction."""
    config = app.config
    with transaction(app.sessions) as session:
        planned = plan_payments(session, config, app.links, now)
        kept = _recheck_and_cancel(session, planned, now)
        result = enqueue_planned(session, kept, renderer=app.renderer, mail=config.mail, now=now)
    log.info(
        "payment sweep: %d planned, %d enqueued, %d already there, %d suppressed",
        len(planned),
        result.enqueued,
        result.already_there,
        result.suppressed,
    )
    return result


def _recheck_and_cancel(session: Session, planned: Sequence[PlannedEmail], now: datetime) -> list[PlannedEmail]:
    """Lock each order (in id order, so concurrent sweeps never deadlock), drop those no longer
    awaiting payment, and cancel those whose step is the cancellation."""
    kept = []
    for item in sorted(planned, key=lambda p: p.order_id or 0):
        order = session.get(Order, item.order_id, with_for_update=True, populate_existing=True)
        if order is None or order.status != OrderStatus.AWAITING_PAYMENT:
            continue
        if item.details.get("step") == CANCEL_STEP:
            cancel_order(session, order, now, SWEEP_ACTOR, "unpaid: cancelled automatically")
            log.info("order %s cancelled: unpaid", order.number)
        kept.append(item)
    return kept
