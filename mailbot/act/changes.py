"""Staged changes: what a customer's message asks to change, as JSON-ready data, and applying it.

A change is built from an ``Understanding`` (``actions_build.build_change``) and is either applied at once (a
verified sender and a confident rule) or kept in a staff request's ``details["change"]`` until a person
approves it. Both paths call ``apply_change``, which re-checks everything against the database as it
is *now* (the order may have been paid meanwhile, a code may be wrong) and raises
``ChangeNotApplicable`` naming what stopped it. Every applied change is audited.

Decisions kept here:
- ``cancellation`` ("do not renew") cancels the services: status ``cancelled`` and automatic renewal
  off, so no reminder, automatic charge or renewal order follows. Open orders are left to staff.
- ``upgrade_request`` has no automatic change (pricing an upgrade needs a person): approving it is
  refused; staff handle it and close the ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot import audit
from mailbot.app import App
from mailbot.db.models import Customer, Order, Service
from mailbot.domain import AUTORENEW_METHODS, OPEN_ORDER_STATUSES, OrderStatus, PaymentMethod, ServiceStatus
from mailbot.errors import InputError
from mailbot.orders import create_order
from mailbot.understand.identifiers import check_field

# Order column <- understood field, for PA billing details.
PA_ORDER_FIELDS = {"cig": "cig", "cup": "cup", "office_code": "office_code", "pa_username": "username"}
# Customer column <- understood field, for billing data changes.
BILLING_FIELDS = ("vat_number", "fiscal_code", "pec", "recipient_code")


class ChangeNotApplicable(InputError):
    """The staged change cannot be applied (any more); the message says why."""


@dataclass(frozen=True)
class Applied:
    summary: str  # what was done, for people and the ticket's resolution
    order: Order | None = None  # the order changed or created, if any


def apply_change(
    session: Session,
    app: App,
    intent: str,
    change: dict[str, Any],
    *,
    customer: Customer | None,
    now: datetime,
    actor: str,
    message_ref: str | None = None,
) -> Applied:
    """Apply ``change`` of ``intent`` in the caller's transaction; returns what was done, for people."""
    if customer is None:
        raise ChangeNotApplicable("no customer is linked to this change")
    ctx = (session, app, customer, now, actor, message_ref)
    if intent == "pa_billing_details":
        return _apply_pa(*ctx, change)
    if intent == "renewal_request":
        return _apply_renewal(*ctx, change)
    if intent == "payment_notice":
        return _apply_payment_notice(*ctx, change)
    if intent == "billing_update":
        return _apply_billing(*ctx, change)
    if intent in ("autorenew_on", "autorenew_off"):
        return _apply_autorenew(*ctx, change, on=intent == "autorenew_on")
    if intent == "cancellation":
        return _apply_cancellation(*ctx, change)
    raise ChangeNotApplicable(f"{intent} has no automatic change: handle it by hand, then close the ticket")


def _open_order(session: Session, customer: Customer, order_id: Any) -> Order:
    if not isinstance(order_id, int):
        raise ChangeNotApplicable("no single order awaiting payment was identified")
    order = session.get(Order, order_id)
    if order is None or order.customer_id != customer.id:
        raise ChangeNotApplicable(f"order {order_id} does not exist or is not this customer's")
    if order.status not in OPEN_ORDER_STATUSES:
        raise ChangeNotApplicable(f"order {order.number} is {order.status.value}")
    return order


def _services(session: Session, customer: Customer, ids: Any) -> list[Service]:
    if not isinstance(ids, list) or not ids:
        raise ChangeNotApplicable("no service was identified")
    services = [session.get(Service, i) for i in ids]
    found = [s for s in services if s is not None and s.customer_id == customer.id]
    if len(found) != len(ids):
        raise ChangeNotApplicable("a service of the change does not exist or is not this customer's")
    return found


def _apply_pa(
    session: Session, app: App, customer: Customer, now: datetime, actor: str, ref: str | None, change: dict[str, Any]
) -> Applied:
    order = _open_order(session, customer, change.get("order_id"))
    values: dict[str, str] = change.get("set") or {}
    if not values:
        raise ChangeNotApplicable("no valid billing detail to attach")
    before = {}
    for column, value in values.items():
        if column not in PA_ORDER_FIELDS:
            raise ChangeNotApplicable(f"{column} is not a billing detail of an order")
        stored, reason = check_field(PA_ORDER_FIELDS[column], value)
        if reason:
            raise ChangeNotApplicable(f"{column} {value!r}: {reason}")
        before[column] = getattr(order, column)
        setattr(order, column, stored)
    order.updated_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="order.pa_details",
        entity="order",
        entity_id=order.number,
        now=now,
        details={"order_id": order.id, "set": values, "before": before},
        message_ref=ref,
    )
    return Applied(f"order {order.number}: " + ", ".join(f"{k} {v}" for k, v in values.items()), order)


def _apply_renewal(
    session: Session, app: App, customer: Customer, now: datetime, actor: str, ref: str | None, change: dict[str, Any]
) -> Applied:
    services = _services(session, customer, change.get("service_ids"))
    busy = _open_orders_of(session, services)
    if busy:
        raise ChangeNotApplicable(f"order {busy[0].number} is already open for these services")
    try:
        method = PaymentMethod(str(change.get("method", "bank_transfer")))
        order = create_order(
            session,
            app.config,
            app.links,
            app.renderer,
            customer=customer,
            services=services,
            years=int(change.get("years", 1)),
            method=method,
            now=now,
            actor=actor,
        )
    except (InputError, ValueError) as exc:
        raise ChangeNotApplicable(str(exc)) from None
    audit.record(
        session,
        actor=actor,
        action="order.requested_by_email",
        entity="order",
        entity_id=order.number,
        now=now,
        details={"order_id": order.id},
        message_ref=ref,
    )
    return Applied(f"order {order.number} created ({order.years} year(s), {order.payment_method.value})", order)


def _open_orders_of(session: Session, services: Sequence[Service]) -> list[Order]:
    ids = {s.id for s in services}
    query = select(Order).where(Order.status.in_(list(OPEN_ORDER_STATUSES))).order_by(Order.id)
    return [o for o in session.scalars(query) if ids & {s.id for s in o.services}]


def _apply_payment_notice(
    session: Session, app: App, customer: Customer, now: datetime, actor: str, ref: str | None, change: dict[str, Any]
) -> Applied:
    order = _open_order(session, customer, change.get("order_id"))
    reference = change.get("payment_reference")
    order.status = OrderStatus.PAYMENT_ANNOUNCED
    order.updated_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="order.payment_announced",
        entity="order",
        entity_id=order.number,
        now=now,
        details={"order_id": order.id, "payment_reference": reference},
        message_ref=ref,
    )
    return Applied(f"order {order.number}: payment announced ({reference or 'no reference'})", order)


def _apply_billing(
    session: Session, app: App, customer: Customer, now: datetime, actor: str, ref: str | None, change: dict[str, Any]
) -> Applied:
    values: dict[str, str] = change.get("set") or {}
    if not values:
        raise ChangeNotApplicable("no valid billing data to change")
    before: dict[str, str | None] = {}
    for name, value in values.items():
        if name not in BILLING_FIELDS:
            raise ChangeNotApplicable(f"{name} is not billing data")
        stored, reason = check_field(name, value)
        if reason:
            raise ChangeNotApplicable(f"{name} {value!r}: {reason}")
        before[name] = getattr(customer, name)
        setattr(customer, name, stored)
    customer.updated_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="customer.billing_updated",
        entity="customer",
        entity_id=customer.external_id,
        now=now,
        details={"set": values, "before": before},
        message_ref=ref,
    )
    return Applied(f"customer {customer.external_id}: " + ", ".join(f"{k} {v}" for k, v in values.items()))


def _apply_autorenew(
    session: Session,
    app: App,
    customer: Customer,
    now: datetime,
    actor: str,
    ref: str | None,
    change: dict[str, Any],
    *,
    on: bool,
) -> Applied:
    services = _services(session, customer, change.get("service_ids"))
    today = now.astimezone(app.config.tz).date()
    if on:
        for service in services:
            if service.payment_method not in AUTORENEW_METHODS:
                raise ChangeNotApplicable(
                    f"service {service.external_id}: automatic renewal needs card or PayPal, "
                    f"not {service.payment_method.value}"
                )
            if service.expires_on < today or service.status != ServiceStatus.ACTIVE:
                raise ChangeNotApplicable(f"service {service.external_id} has expired: no automatic renewal")
    for service in services:
        service.autorenew = on
        service.updated_at = now
        audit.record(
            session,
            actor=actor,
            action="service.autorenew_on" if on else "service.autorenew_off",
            entity="service",
            entity_id=service.external_id,
            now=now,
            message_ref=ref,
        )
    session.flush()
    return Applied(f"automatic renewal {'on' if on else 'off'}: " + ", ".join(s.external_id for s in services))


def _apply_cancellation(
    session: Session, app: App, customer: Customer, now: datetime, actor: str, ref: str | None, change: dict[str, Any]
) -> Applied:
    services = _services(session, customer, change.get("service_ids"))
    for service in services:
        service.status = ServiceStatus.CANCELLED
        service.autorenew = False
        service.updated_at = now
        audit.record(
            session,
            actor=actor,
            action="service.cancelled",
            entity="service",
            entity_id=service.external_id,
            now=now,
            message_ref=ref,
        )
    session.flush()
    return Applied("cancelled: " + ", ".join(s.external_id for s in services))
