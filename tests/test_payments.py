"""Registering payments: what a payment does to its order (pure), and the whole path on a real database.

A payment in full completes the order (expiry moved from the natural expiry, status paid, the customer
told the new expiry); less or more than due, or money for an order no longer open, goes to staff with a
ticket; the same payment told twice (same reference, same statement line) records nothing again.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.billing.payments import PaymentIn, Recorded, record_payment
from mailbot.billing.settle import OrderMoney, Settlement, same_reference, settle
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent, Order, OutboundMessage, Payment, Ticket
from mailbot.domain import OrderStatus, PaymentMethod, PaymentSource
from mailbot.errors import InputError
from mailbot.orders import NewOrder, cancel_order, create_order
from tests.support.factories import make_customer, make_service
from tests.support.templates import write_payment_templates

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
PAID_AT = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
DAY = date(2026, 11, 4)


def money(due: int = 14640, received: int = 0, refs: frozenset[str] = frozenset(), is_open: bool = True) -> OrderMoney:
    return OrderMoney("ORD-2026-000001", is_open, due, received, refs)


# -- settling (pure) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "amount", "expected"),
    [
        (money(), 14640, Settlement.PAID),
        (money(), 10000, Settlement.PARTIAL),
        (money(), 15000, Settlement.EXCESS),
        (money(received=10000), 4640, Settlement.PAID),
        (money(received=10000), 4000, Settlement.PARTIAL),
        (money(is_open=False), 14640, Settlement.ORDER_CLOSED),
    ],
)
def test_settle(order: OrderMoney, amount: int, expected: Settlement) -> None:
    assert settle(order, amount, None) == expected


def test_the_same_reference_is_the_same_payment() -> None:
    order = money(received=10000, refs=frozenset({"03069012345"}))
    assert settle(order, 4640, "0306 9012 345") == Settlement.ALREADY_RECORDED
    assert settle(order, 4640, "other") == Settlement.PAID
    assert same_reference("  ") is None


@pytest.mark.parametrize("amount", [0, -100])
def test_no_payment_of_nothing(amount: int) -> None:
    with pytest.raises(InputError, match="amount"):
        settle(money(), amount, None)


@given(st.integers(1, 10**7), st.integers(0, 10**7), st.integers(1, 10**7))
def test_only_exactly_what_is_still_due_pays(due: int, received: int, amount: int) -> None:
    received = min(received, due - 1) if due > 1 else 0
    settlement = settle(money(due=due, received=received), amount, None)
    assert settlement.completes == (amount >= due - received)
    assert (settlement == Settlement.PAID) == (amount == due - received)


# -- on the database ------------------------------------------------------------------------------


@pytest.fixture
def papp(app: App, tmp_path: Path) -> App:
    return dataclasses.replace(app, renderer=write_payment_templates(tmp_path / "tpl"))


def _order(session: Session, papp: App, method: PaymentMethod = PaymentMethod.BANK_TRANSFER) -> Order:
    customer = make_customer(session)
    services = [make_service(session, customer), make_service(session, customer, expires_on=date(2027, 2, 28))]
    years = 1 if method == PaymentMethod.BANK_TRANSFER else 2
    return create_order(session, papp, NewOrder(customer, services, years, method), now=NOW)


def _pay(
    session: Session, papp: App, order: Order, amount: int, reference: str | None = None, line_key: str | None = None
) -> Recorded:
    payment = PaymentIn(amount, order.payment_method, DAY, PaymentSource.STAFF, reference, line_key)
    return record_payment(session, papp, order, payment, now=PAID_AT, actor="staff:anna")


def _confirmations(session: Session, order: Order) -> list[OutboundMessage]:
    query = select(OutboundMessage).where(
        OutboundMessage.order_id == order.id, OutboundMessage.template == "payment_confirmation"
    )
    return list(session.scalars(query))


def test_a_payment_in_full_completes_the_order_and_tells_the_customer(papp: App) -> None:
    with transaction(papp.sessions) as session:
        order = _order(session, papp)
        recorded = _pay(session, papp, order, order.due_cents, "0306909600123457")
    with papp.sessions() as session:
        stored = session.get(Order, order.id)
        assert stored is not None and stored.status == OrderStatus.PAID and stored.paid_at == PAID_AT
        assert [s.expires_on for s in stored.services] == [date(2027, 12, 31), date(2028, 2, 28)]
        [mail] = _confirmations(session, stored)
        assert f"{stored.number} paid 2027-12-31 2028-02-28" in mail.body_text
        assert mail.reason == f"order {stored.number} paid"
        [payment] = session.scalars(select(Payment)).all()
        assert (payment.amount_cents, payment.reference, payment.paid_on) == (order.due_cents, "0306909600123457", DAY)
        assert session.scalars(select(Ticket)).all() == []
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions[-2:] == ["payment.recorded", "order.paid"]
    assert recorded.settlement == Settlement.PAID


def test_a_partial_payment_leaves_the_order_open_and_tells_staff(papp: App) -> None:
    with transaction(papp.sessions) as session:
        order = _order(session, papp)
        first = _pay(session, papp, order, 10000, "CRO1")
        assert first.settlement == Settlement.PARTIAL
        assert order.status == OrderStatus.AWAITING_PAYMENT
        assert _confirmations(session, order) == []
        [ticket] = session.scalars(select(Ticket)).all()
        assert ticket.order_id == order.id and ticket.details["received_cents"] == 10000
        assert "less than due" in ticket.summary
        second = _pay(session, papp, order, order.due_cents - 10000, "CRO2")
        assert second.settlement == Settlement.PAID
        assert session.scalar(select(Order.status).where(Order.id == order.id)) == OrderStatus.PAID
        assert len(_confirmations(session, order)) == 1


def test_the_same_payment_twice_is_recorded_once(papp: App) -> None:
    with transaction(papp.sessions) as session:
        order = _order(session, papp)
        _pay(session, papp, order, 10000, "0306 9096 0012")
        again = _pay(session, papp, order, 10000, "030690960012")
        assert again.settlement == Settlement.ALREADY_RECORDED
        line = _pay(session, papp, order, 4000, "X", line_key="IT60/ref/1")
        line_again = _pay(session, papp, order, 4000, "Y", line_key="IT60/ref/1")
        assert line.settlement == Settlement.PARTIAL
        assert line_again.settlement == Settlement.ALREADY_RECORDED
        assert len(session.scalars(select(Payment)).all()) == 2


def test_more_than_due_completes_the_order_and_tells_staff(papp: App) -> None:
    with transaction(papp.sessions) as session:
        order = _order(session, papp, PaymentMethod.PAYPAL)
        recorded = _pay(session, papp, order, order.due_cents + 500)
        assert recorded.settlement == Settlement.EXCESS
        assert order.status == OrderStatus.PAID
        [ticket] = session.scalars(select(Ticket).where(Ticket.intent == "payment_notice")).all()
        assert "more than due" in ticket.summary


def test_money_for_a_cancelled_order_goes_to_staff(papp: App) -> None:
    with transaction(papp.sessions) as session:
        order = _order(session, papp)
        cancel_order(session, order, NOW, "mailbot", "unpaid")
        before = [s.expires_on for s in order.services]
        recorded = _pay(session, papp, order, order.due_cents, "CRO9")
        assert recorded.settlement == Settlement.ORDER_CLOSED
        assert order.status == OrderStatus.CANCELLED
        assert [s.expires_on for s in order.services] == before
        [ticket] = session.scalars(select(Ticket)).all()
        assert "no longer open" in ticket.summary


# -- the command line -----------------------------------------------------------------------------


def test_cli_record(papp: App, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mailbot.cli import main

    with transaction(papp.sessions) as session:
        order = _order(session, papp)
        number, due = order.number, order.due_cents
    base = ["--config", str(config_file), "payments", "record", number, "--method", "bank_transfer"]
    assert main([*base, "--amount", "abc"]) == 2
    assert "--amount: expected an amount in euros" in capsys.readouterr().err
    assert main([*base, "--amount", "10,00", "--reference", "CRO 1", "--date", "2026-11-03"]) == 0
    assert "less than due: order still open; ticket" in capsys.readouterr().out
    rest = f"{(due - 1000) / 100:.2f}".replace(".", ",")
    assert main([*base, "--amount", rest, "--reference", "CRO 2"]) == 0
    out = capsys.readouterr().out
    assert "-> 2027-12-31" in out and "paid in full: order completed" in out
    assert main([*base, "--amount", rest, "--reference", "CRO2"]) == 0
    assert "already recorded: nothing done" in capsys.readouterr().out
    assert main([*base, "--amount", "1", "--date", "03/11/2026"]) == 2
    assert "--date: expected a date YYYY-MM-DD" in capsys.readouterr().err
