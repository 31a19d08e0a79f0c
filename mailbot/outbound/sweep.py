"""The reminder sweep: read services, ask the policy what is due today, enqueue one email per customer,
and record as suspended the services whose grace ended.

The thin database shell around ``mailbot.outbound.reminders``. ``plan_sweep`` (and ``plan_reminders``,
its emails) only reads (the ``mailbot due`` preview calls it and writes nothing); ``run_reminder_sweep``
plans, suspends and enqueues in one transaction, so the service is suspended exactly when its notice is
enqueued. Running it twice, or from two processes at once, does nothing twice: every step is claimed
under a unique (service, cycle, step), every email has a unique idempotency key, and a suspension is a
conditional update (still active, still the same expiry) whose audit entry is written only when it
changed the row.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select, tuple_, update
from sqlalchemy.orm import Session

from mailbot import audit
from mailbot.app import App
from mailbot.config import Config
from mailbot.db.engine import transaction
from mailbot.db.models import Customer, Order, Product, ReminderClaim, Service, order_service
from mailbot.domain import OPEN_ORDER_STATUSES, AuditEntry, ServiceStatus
from mailbot.outbound.context import CompanyInfo, CustomerInfo, ServiceInfo
from mailbot.outbound.links import LinkSigner
from mailbot.outbound.plan import EnqueueResult, PlannedEmail, enqueue_planned
from mailbot.outbound.reminders import (
    DueItem,
    Recipient,
    ServiceState,
    Suspension,
    choose_language,
    plan_digests,
    plan_service,
)

log = logging.getLogger(__name__)


def local_today(now: datetime, tz: ZoneInfo) -> date:
    """The calendar day ``now`` falls on in the configured time zone."""
    if now.tzinfo is None:
        raise ValueError("the sweep needs an aware datetime, got a naive one")
    return now.astimezone(tz).date()


@dataclass(frozen=True)
class SweepPlan:
    """What the sweep of a day would do: the emails (suppressed ones marked) and the suspensions."""

    emails: list[PlannedEmail]
    suspensions: list[Suspension]


def plan_reminders(session: Session, config: Config, links: LinkSigner, now: datetime) -> list[PlannedEmail]:
    """Every reminder email due on ``now``'s local day, suppressed ones included (marked). Reads only."""
    return plan_sweep(session, config, links, now).emails


def plan_sweep(session: Session, config: Config, links: LinkSigner, now: datetime) -> SweepPlan:
    """The emails due on ``now``'s local day and the services whose grace has ended. Reads only."""
    today = local_today(now, config.tz)
    claimed = _claimed_steps(session)
    open_orders = _open_orders(session)
    company = CompanyInfo(
        name=config.mail.company_name,
        support_address=config.mail.support_address,
        support_phone=config.mail.support_phone,
    )
    by_customer: dict[int, list[DueItem]] = defaultdict(list)
    suspensions: list[Suspension] = []
    # Plain columns, not ORM objects: every active service is read, and only a few are due today.
    rows = session.execute(
        select(
            Service.id,
            Service.customer_id,
            Service.label,
            Service.username,
            Product.name,
            Service.expires_on,
            Service.autorenew,
            Service.payment_method,
            Service.card_expires,
            Service.storage_quota_mb,
            Service.storage_used_mb,
            Service.status,
            Service.started_on,
        )
        .join(Product, Product.id == Service.product_id)
        .where(Service.status == ServiceStatus.ACTIVE)
        .order_by(Service.customer_id, Service.id)
    )
    for row in rows:
        info = ServiceInfo(
            id=row.id,
            label=row.label,
            username=row.username,
            product_name=row.name,
            expires_on=row.expires_on,
            autorenew=row.autorenew,
            payment_method=row.payment_method.value,
            card_expires=row.card_expires,
            storage_quota_mb=row.storage_quota_mb,
            storage_used_mb=row.storage_used_mb,
        )
        state = ServiceState(
            info=info,
            status=row.status.value,
            started_on=row.started_on,
            claimed=claimed.get(row.id, frozenset()),
            open_order=open_orders.get(row.id),
        )
        todo = plan_service(state, today, config.reminders, config.storage)
        if todo.items:
            by_customer[row.customer_id].extend(todo.items)
        if todo.suspension is not None:
            suspensions.append(todo.suspension)
    customers = _customers(session, list(by_customer))
    planned: list[PlannedEmail] = []
    for customer_id, due in by_customer.items():
        recipient = recipient_of(customers[customer_id], config.general.language)
        planned += plan_digests(recipient, due, today=today, now=now, company=company, links=links)
    return SweepPlan(planned, suspensions)


def run_reminder_sweep(app: App, now: datetime) -> EnqueueResult:
    """Plan today's reminders, suspend the services whose grace ended and enqueue, in one transaction;
    safe to run again and concurrently."""
    with transaction(app.sessions) as session:
        plan = plan_sweep(session, app.config, app.links, now)
        suspended = suspend_services(session, plan.suspensions, now=now)
        result = enqueue_planned(session, plan.emails, renderer=app.renderer, mail=app.config.mail, now=now)
    log.info(
        "reminder sweep for %s: %d enqueued, %d already there, %d suppressed, %d services suspended",
        local_today(now, app.config.tz),
        result.enqueued,
        result.already_there,
        result.suppressed,
        len(suspended),
    )
    return result


def suspend_services(
    session: Session, suspensions: Sequence[Suspension], *, now: datetime, actor: str = "mailbot"
) -> list[int]:
    """Record each service of ``suspensions`` as suspended, with an audit entry, in the caller's
    transaction; the ids of the services suspended.

    One conditional UPDATE per chunk: only a service still active and still at the expiry whose grace
    ended changes (not one renewed, cancelled or suspended since it was planned, nor by a concurrent
    sweep: PostgreSQL re-checks the condition once the other transaction's row lock is released)."""
    done: list[int] = []
    for start in range(0, len(suspensions), 500):
        chunk = {s.service_id: s for s in suspensions[start : start + 500]}
        changed = session.execute(
            update(Service)
            .where(
                tuple_(Service.id, Service.expires_on).in_([(s.service_id, s.cycle) for s in chunk.values()]),
                Service.status == ServiceStatus.ACTIVE,
            )
            .values(status=ServiceStatus.SUSPENDED, updated_at=now)
            .returning(Service.id, Service.external_id)
            .execution_options(synchronize_session=False)
        ).all()
        for service_id, external_id in sorted(changed):
            suspension = chunk[service_id]
            details = {
                "service_id": service_id,
                "expired_on": suspension.cycle.isoformat(),
                "grace_ended_on": suspension.grace_ended_on.isoformat(),
                "status": [ServiceStatus.ACTIVE.value, ServiceStatus.SUSPENDED.value],
            }
            audit.record(
                session, AuditEntry("service.suspended", "service", external_id, details), actor=actor, now=now
            )
            done.append(service_id)
    session.flush()
    return done


def service_info(service: Service, product_name: str) -> ServiceInfo:
    return ServiceInfo(
        id=service.id,
        label=service.label,
        username=service.username,
        product_name=product_name,
        expires_on=service.expires_on,
        autorenew=service.autorenew,
        payment_method=service.payment_method.value,
        card_expires=service.card_expires,
        storage_quota_mb=service.storage_quota_mb,
        storage_used_mb=service.storage_used_mb,
    )


def recipient_of(customer: Customer, default_language: str) -> Recipient:
    info = CustomerInfo(
        name=customer.name,
        kind=customer.kind.value,
        email=customer.email,
        language=choose_language(customer.language, default_language),
        split_payment=customer.split_payment,
    )
    undeliverable = (customer.undeliverable_reason or "") if customer.email_undeliverable else None
    return Recipient(id=customer.id, customer=info, undeliverable=undeliverable)


def _customers(session: Session, ids: list[int]) -> dict[int, Customer]:
    """The customers with these ids, loaded a chunk at a time."""
    found: dict[int, Customer] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update((c.id, c) for c in session.scalars(select(Customer).where(Customer.id.in_(chunk))))
    return found


def _claimed_steps(session: Session) -> dict[int, frozenset[str]]:
    """Steps claimed per service for its current cycle; claims of earlier cycles no longer count."""
    rows = session.execute(
        select(ReminderClaim.service_id, ReminderClaim.step).join(
            Service, and_(Service.id == ReminderClaim.service_id, Service.expires_on == ReminderClaim.cycle)
        )
    )
    steps: dict[int, set[str]] = defaultdict(set)
    for service_id, step in rows:
        steps[service_id].add(step)
    return {service_id: frozenset(names) for service_id, names in steps.items()}


def _open_orders(session: Session) -> dict[int, str]:
    """For each service covered by an open order: "<number> <status>" of the first such order."""
    rows = session.execute(
        select(order_service.c.service_id, Order.number, Order.status)
        .join(Order, Order.id == order_service.c.order_id)
        .where(Order.status.in_(OPEN_ORDER_STATUSES))
        .order_by(Order.id)
    )
    found: dict[int, str] = {}
    for service_id, number, status in rows:
        found.setdefault(service_id, f"{number} {status.value}")
    return found
