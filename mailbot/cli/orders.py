"""``mailbot orders``: list orders, register a payment, cancel, run the unpaid-order sweep.

An order is named by its number (``ORD-2026-000001``) or its database id; dates are shown in
``general.timezone``, the day the customer's emails give.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from mailbot.billing.payments import PaymentIn, record_payment
from mailbot.cli.common import actor, add_actor, get_app, local_day, today_in
from mailbot.cli.lookup import customer_by_ref, order_by_ref
from mailbot.cli.output import count, print_line, print_table
from mailbot.db.engine import transaction
from mailbot.db.models import Order
from mailbot.domain import OPEN_ORDER_STATUSES, OrderStatus, PaymentSource
from mailbot.errors import InputError
from mailbot.orders import cancel_order
from mailbot.outbound.payments import run_payment_sweep
from mailbot.outbound.render import cents

ORDER_REF_HELP = "order number, e.g. ORD-2026-000001, or its database id"


def register(sub: Any) -> None:
    orders = sub.add_parser("orders", help="orders: list, register a payment, cancel, payment sweep")
    osub = orders.add_subparsers(dest="orders_command", required=True, metavar="ACTION")
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
