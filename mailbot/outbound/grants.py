"""Whether what a renewal link grants still stands: the check ``mailbot link check`` makes, and the
web pages that act on links will make before renewing or taking a payment.

The signature and age of a link say only that we issued it and when (``links.py``). Since then a
service may have been renewed, cancelled or suspended, moved to another customer, and an order paid,
cancelled or announced as paid. ``why_not_usable`` takes the grant and what the database says now
(``GrantState``, read by ``load_grant_state``) and returns every reason the link must not be acted
on; an empty list means it may.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mailbot.db.models import Customer, Order, Service
from mailbot.domain import OrderStatus, ServiceStatus
from mailbot.outbound.links import LinkGrant


@dataclass(frozen=True)
class ServiceNow:
    id: int
    customer_id: int
    status: str  # active | suspended | cancelled
    expires_on: date
    label: str


@dataclass(frozen=True)
class OrderNow:
    number: str
    customer_id: int
    status: str  # awaiting_payment | payment_announced | paid | cancelled
    service_ids: frozenset[int]


@dataclass(frozen=True)
class GrantState:
    """What the database holds now of what a grant names."""

    customer: str | None  # "name <email>"; None when the customer is not found
    services: Mapping[int, ServiceNow]  # the grant's services that exist
    order: OrderNow | None  # the grant's order, when it names one that exists


def why_not_usable(grant: LinkGrant, now: GrantState) -> list[str]:
    """Every reason the link's grant no longer stands (empty: it does), each naming what it is about."""
    reasons = [] if now.customer is not None else [f"customer {grant.customer_id}: not found"]
    if not grant.services and grant.action != "pay":
        reasons.append("the link names no service")
    for service_id, cycle in grant.services:
        problem = service_problem(grant.customer_id, cycle, now.services.get(service_id))
        if problem:
            reasons.append(f"service {service_id}: {problem}")
    if grant.action == "pay" and grant.order_number is None:
        reasons.append("a payment link names no order")
    if grant.order_number is not None:
        reasons += [f"order {grant.order_number}: {p}" for p in order_problems(grant, now.order)]
    return reasons


def service_problem(customer_id: int, cycle: date, service: ServiceNow | None) -> str | None:
    """Why a service of the grant can no longer be renewed through it; None when it can."""
    if service is None:
        return "not found"
    if service.customer_id != customer_id:
        return "not this customer's"
    if service.status in (ServiceStatus.CANCELLED, ServiceStatus.SUSPENDED):
        return str(service.status)
    if service.expires_on > cycle:
        return f"already renewed (now expires {service.expires_on.isoformat()})"
    if service.expires_on != cycle:
        return f"its expiry changed to {service.expires_on.isoformat()}"
    return None


def order_problems(grant: LinkGrant, order: OrderNow | None) -> list[str]:
    if order is None:
        return ["not found"]
    problems = []
    if order.customer_id != grant.customer_id:
        problems.append("not this customer's")
    if order.status != OrderStatus.AWAITING_PAYMENT:
        problems.append(f"{order.status}, not awaiting payment")
    problems += [f"no longer covers service {sid}" for sid, _ in grant.services if sid not in order.service_ids]
    return problems


def load_grant_state(session: Session, grant: LinkGrant) -> GrantState:
    """Read what ``grant`` names from the database (the I/O half of the check)."""
    customer = session.get(Customer, grant.customer_id)
    ids = [sid for sid, _ in grant.services]
    rows = session.scalars(select(Service).where(Service.id.in_(ids))).all() if ids else []
    order = None
    if grant.order_number is not None:
        query = select(Order).where(Order.number == grant.order_number).options(selectinload(Order.services))
        found = session.scalar(query)
        if found is not None:
            order = OrderNow(
                found.number, found.customer_id, str(found.status), frozenset(s.id for s in found.services)
            )
    return GrantState(
        customer=f"{customer.name} <{customer.email}>" if customer is not None else None,
        services={s.id: ServiceNow(s.id, s.customer_id, str(s.status), s.expires_on, s.label) for s in rows},
        order=order,
    )
