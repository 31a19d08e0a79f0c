"""Orders numbered as the statements under ``tests/statements/`` name them, and the rows a statement
import may write, counted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.db.models import AuditEvent, Order, OrderCounter, OutboundMessage, Payment, StatementLine, Ticket
from mailbot.domain import CustomerKind, OrderStatus, PaymentMethod
from mailbot.orders import NewOrder, create_order
from tests.support.factories import make_customer, make_product, make_service

ORDERED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
FEE = 300  # the bank-transfer fee of the test products


def make_numbered_order(
    session: Session, app: App, seq: int, name: str, due_cents: int, *, split: bool = False
) -> Order:
    """Order ``ORD-2026-<seq>`` of one service for customer ``name``, due ``due_cents`` by bank transfer:
    22 % VAT on price and fee, or, under split payment (a public administration), their net amount."""
    counter = session.get(OrderCounter, 2026) or OrderCounter(year=2026)
    counter.last = seq - 1
    session.add(counter)
    kind = CustomerKind.PUBLIC_ADMINISTRATION if split else CustomerKind.PRIVATE
    customer = make_customer(session, name=name, kind=kind)
    net_and_fee, rest = divmod(due_cents * 100, 100 if split else 122)
    assert rest == 0, f"{due_cents} is not a whole number of cents before VAT"
    product = make_product(session, price_cents=net_and_fee - FEE, bank_transfer_fee_cents=FEE)
    service = make_service(session, customer, product)
    order = create_order(session, app, NewOrder(customer, [service], 1, PaymentMethod.BANK_TRANSFER), now=ORDERED)
    assert (order.number, order.due_cents) == (f"ORD-2026-{seq:06d}", due_cents)
    return order


def counts(app: App) -> dict[str, int]:
    with app.sessions() as session:
        models: list[Any] = [Payment, Ticket, OutboundMessage, StatementLine, AuditEvent, Order]
        rows = {m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0 for m in models}
        rows["paid"] = session.scalar(select(func.count()).where(Order.status == OrderStatus.PAID)) or 0
        return rows


def make_bpm_orders(session: Session, app: App) -> dict[str, int]:
    """The open orders ``camt053_001_02_bpm.xml`` pays: in full, under split payment (the net 500.00 of
    610.00), in part (244.00 of 366.00), too much (61.00 of 48.80); by number, their ids."""
    orders = [
        make_numbered_order(session, app, 123, "Rossi Mario S.r.l.", 122000),
        make_numbered_order(session, app, 124, "Comune di Vigevano", 50000, split=True),
        make_numbered_order(session, app, 125, "Studio Bianchi Associati", 36600),
        make_numbered_order(session, app, 126, "Verdi Anna", 4880),
    ]
    return {order.number: order.id for order in orders}
