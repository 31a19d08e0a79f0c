"""``mailbot orders``: create an order, list orders, register a payment, cancel, run the unpaid-order sweep.

An order is named by its number (``ORD-2026-000001``) or its database id; dates are shown in
``general.timezone``, the day the customer's emails give. ``create`` makes an order as a reply asking
for a renewal does (``orders.create_order``: the same checks and prices, the payment instructions
enqueued); every refusal is one line naming the option to change. Discount codes are not taken yet.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from mailbot.billing.payments import PaymentIn, record_payment
from mailbot.cli.common import actor, add_actor, get_app, local_day, today_in
from mailbot.cli.lookup import customer_by_ref, order_by_ref, service_by_ref
from mailbot.cli.output import count, print_line, print_table
from mailbot.db.engine import transaction
from mailbot.db.models import Order, OutboundMessage, Service
from mailbot.domain import OPEN_ORDER_STATUSES, OrderStatus, PaymentMethod, PaymentSource
from mailbot.errors import InputError, NotFoundError
from mailbot.orders import (
    PAYABLE_METHODS,
    NewOrder,
    OrderRefused,
    cancel_order,
    create_order,
    refuse_open_orders,
)
from mailbot.outbound.payments import run_payment_sweep
from mailbot.outbound.render import cents

ORDER_REF_HELP = "order number, e.g. ORD-2026-000001, or its database id"
METHODS = sorted(m.value for m in PAYABLE_METHODS)


def register(sub: Any) -> None:
    orders = sub.add_parser("orders", help="orders: create, list, register a payment, cancel, payment sweep")
    osub = orders.add_subparsers(dest="orders_command", required=True, metavar="ACTION")
    create = osub.add_parser(
        "create", help="create an order for a customer's services and send the payment instructions"
    )
    create.add_argument("--customer", required=True, metavar="ID", help="the customer: external id or database id")
    create.add_argument(
        "--services",
        required=True,
        metavar="S1,S2",
        help="the customer's services to renew or reactivate, comma-separated: external ids or database ids",
    )
    create.add_argument("--years", required=True, metavar="N", help="years to renew for (bank transfer: 1)")
    create.add_argument("--method", required=True, metavar="M", help=f"how it will be paid: {', '.join(METHODS)}")
    add_actor(create)
    create.set_defaults(func=cmd_create)
    ls = osub.add_parser("list", help="list orders (default: the open ones)")
    ls.add_argument("--status", choices=[s.value for s in OrderStatus], help="only orders in this status")
    ls.add_argument("--customer", metavar="ID", help="only this customer's (external id or database id)")
    ls.set_defaults(func=cmd_list)
    paid = osub.add_parser(
        "paid", help="register the payment in full of an order: its services' expiry moves, the customer is told"
    )
    paid.add_argument("number", metavar="ORDER", help=ORDER_REF_HELP)
    add_actor(paid)
    paid.set_defaults(func=cmd_paid)
    cancel = osub.add_parser("cancel", help="cancel an open order")
    cancel.add_argument("number", metavar="ORDER", help=ORDER_REF_HELP)
    cancel.add_argument("--reason", required=True, help="why, for the audit log")
    add_actor(cancel)
    cancel.set_defaults(func=cmd_cancel)
    sweep = osub.add_parser("sweep", help="send due payment reminders and cancel orders unpaid for too long")
    sweep.add_argument("--now", help="pretend it is this instant (ISO 8601 with offset), for testing")
    sweep.set_defaults(func=cmd_sweep)


def parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        now = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"--now: expected an ISO 8601 instant, got {value!r}") from None
    if now.tzinfo is None:
        raise InputError("--now: give the UTC offset, e.g. 2026-03-05T09:00+01:00")
    return now


def _years(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise InputError(f"--years: expected a whole number of years, got {value!r}") from None


def _method(value: str) -> PaymentMethod:
    if value.strip().lower() not in METHODS:
        raise InputError(f"--method: expected one of {', '.join(METHODS)}, got {value!r}")
    return PaymentMethod(value.strip().lower())


def _named(option: str, find: Any, session: Session, ref: str) -> Any:
    """The record ``find`` looks up, a missing one reported against ``option``."""
    try:
        return find(session, ref)
    except NotFoundError as exc:
        raise NotFoundError(f"{option}: {exc}") from None


def _services(session: Session, value: str) -> list[Service]:
    refs = [ref.strip() for ref in value.split(",") if ref.strip()]
    if not refs:
        raise InputError(f"--services: give one or more services, comma-separated (S001,S002), got {value!r}")
    return [_named("--services", service_by_ref, session, ref) for ref in refs]


def cmd_create(args: argparse.Namespace) -> int:
    years, method = _years(args.years), _method(args.method)
    app = get_app(args)
    now = datetime.now(UTC)
    try:
        with transaction(app.sessions) as session:
            customer = _named("--customer", customer_by_ref, session, args.customer)
            services = _services(session, args.services)
            try:
                refuse_open_orders(session, services)
                order = create_order(
                    session, app, NewOrder(customer, services, years, method), now=now, actor=actor(args)
                )
            except OrderRefused as exc:
                reason = str(exc).removeprefix(f"{exc.field}: ")
                raise InputError(f"--{exc.field}: {reason}") from None
            lines = _created(session, order)
    finally:
        app.close()
    for line in lines:
        print_line(line)
    return 0


def _created(session: Session, order: Order) -> list[str]:
    """What staff are told of the order just made: what it covers, the amounts, the instructions."""
    names = ", ".join(s.external_id for s in order.services)
    split = " (split payment: the VAT is paid to the State)" if order.split_payment else ""
    lines = [
        f"{order.number}: {order.type.value} of {names} for {count(order.years, 'year')} by "
        f"{order.payment_method.value}, awaiting payment",
        f"net {cents(order.net_cents)} + fee {cents(order.fee_cents)} + VAT {cents(order.vat_cents)} = "
        f"{cents(order.total_cents)}; due {cents(order.due_cents)}{split}",
    ]
    sent = session.scalar(
        select(OutboundMessage.to_address).where(
            OutboundMessage.order_id == order.id, OutboundMessage.template == "payment_instructions"
        )
    )
    customer = order.customer
    if sent is not None:
        lines.append(f"payment instructions enqueued to {sent}")
    elif customer.email_undeliverable:
        reason = customer.undeliverable_reason or "no reason recorded"
        lines.append(f"no payment instructions: the customer's address is undeliverable ({reason})")
    else:
        lines.append("no payment instructions enqueued")
    return lines


def cmd_list(args: argparse.Namespace) -> int:
    app = get_app(args, read_only=True)
    statuses = [OrderStatus(args.status)] if args.status else list(OPEN_ORDER_STATUSES)
    query = select(Order).options(joinedload(Order.customer)).where(Order.status.in_(statuses)).order_by(Order.id)
    try:
        with app.sessions() as session:
            if args.customer:
                query = query.where(Order.customer_id == customer_by_ref(session, args.customer).id)
            rows = [
                (
                    order.number,
                    local_day(app.config, order.created_at),
                    order.status.value,
                    order.payment_method.value,
                    cents(order.due_cents),
                    order.customer.external_id,
                )
                for order in session.scalars(query)
            ]
    finally:
        app.close()
    print_table(("NUMBER", "DATE", "STATUS", "PAYMENT", "DUE", "CUSTOMER"), rows)
    print_line(count(len(rows), "order"))
    return 0


def _change(args: argparse.Namespace, what: str) -> int:
    app = get_app(args)
    now = datetime.now(UTC)
    try:
        with transaction(app.sessions) as session:
            order = order_by_ref(session, args.number)
            if what == "paid":
                if order.status not in OPEN_ORDER_STATUSES:
                    raise InputError(f"order {order.number} is {order.status.value}: it cannot be paid")
                method = order.payment_method
                payment = PaymentIn(order.due_cents, method, today_in(app.config, now), PaymentSource.STAFF)
                moved = record_payment(session, app, order, payment, now=now, actor=actor(args)).moved
                names = {s.id: s.external_id for s in order.services}
                for sid, (old, new) in moved.items():
                    print_line(f"service {names.get(sid, sid)}: expiry {old.isoformat()} -> {new.isoformat()}")
            else:
                cancel_order(session, order, now, actor(args), args.reason)
            print_line(f"{order.number}: {order.status.value}")
    finally:
        app.close()
    return 0


def cmd_paid(args: argparse.Namespace) -> int:
    return _change(args, "paid")


def cmd_cancel(args: argparse.Namespace) -> int:
    return _change(args, "cancel")


def cmd_sweep(args: argparse.Namespace) -> int:
    app = get_app(args)
    try:
        result = run_payment_sweep(app, parse_now(args.now))
    finally:
        app.close()
    print_line(
        f"payment sweep: {result.enqueued} enqueued, {result.already_there} already there, "
        f"{result.suppressed} suppressed"
    )
    return 0
