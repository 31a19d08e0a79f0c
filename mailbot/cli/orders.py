"""``mailbot orders``: list open orders, register a payment, cancel, run the unpaid-order sweep."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from mailbot.cli.common import get_app
from mailbot.cli.output import print_line
from mailbot.db.engine import transaction
from mailbot.db.models import Order
from mailbot.domain import OPEN_ORDER_STATUSES, OrderStatus
from mailbot.errors import InputError, NotFoundError
from mailbot.orders import cancel_order, find_order, mark_paid
from mailbot.outbound.payments import run_payment_sweep
from mailbot.outbound.render import cents


def register(sub: Any) -> None:
    orders = sub.add_parser("orders", help="orders: list, register a payment, cancel, payment sweep")
    osub = orders.add_subparsers(dest="orders_command", required=True, metavar="ACTION")
    ls = osub.add_parser("list", help="list orders (default: the open ones)")
    ls.add_argument("--status", choices=[s.value for s in OrderStatus], help="only orders in this status")
    ls.set_defaults(func=cmd_list)
    paid = osub.add_parser("paid", help="register the payment of an order: its services' expiry moves")
    paid.add_argument("number", help="order number, e.g. ORD-2026-000001")
    paid.add_argument("--actor", default="cli", help="who registers it, for the audit log")
    paid.set_defaults(func=cmd_paid)
    cancel = osub.add_parser("cancel", help="cancel an open order")
    cancel.add_argument("number")
    cancel.add_argument("--reason", required=True)
    cancel.add_argument("--actor", default="cli")
    cancel.set_defaults(func=cmd_cancel)
    sweep = osub.add_parser("sweep", help="send due payment reminders and cancel orders unpaid for too long")
    sweep.add_argument("--now", help="pretend it is this instant (ISO 8601 with offset), for testing")
    sweep.set_defaults(func=cmd_sweep)


def _now(value: str | None) -> datetime:
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
    app = get_app(args)
    statuses = [OrderStatus(args.status)] if args.status else list(OPEN_ORDER_STATUSES)
    with app.sessions() as session:
        query = select(Order).where(Order.status.in_(statuses)).order_by(Order.id)
        for order in session.scalars(query):
            print_line(
                f"{order.number}  {order.status.value:<17} {order.payment_method.value:<13} "
                f"{cents(order.due_cents):>10}  {order.created_at:%Y-%m-%d}  {order.customer.external_id}"
            )
    app.close()
    return 0


def _change(args: argparse.Namespace, what: str) -> int:
    app = get_app(args)
    now = datetime.now(UTC)
    try:
        with transaction(app.sessions) as session:
            order = find_order(session, args.number)
            if order is None:
                raise NotFoundError(f"no order {args.number!r}")
            if what == "paid":
                moved = mark_paid(session, order, now, args.actor)
                for sid, (old, new) in moved.items():
                    print_line(f"service {sid}: expiry {old.isoformat()} -> {new.isoformat()}")
            else:
                cancel_order(session, order, now, args.actor, args.reason)
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
        result = run_payment_sweep(app, _now(args.now))
    finally:
        app.close()
    print_line(
        f"payment sweep: {result.enqueued} enqueued, {result.already_there} already there, "
        f"{result.suppressed} suppressed"
    )
    return 0
