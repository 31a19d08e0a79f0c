"""The unpaid-order sweep: reminders at 3 and 7 days, cancellation at 30, only the latest step."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.config import PaymentsConfig
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent, Order, OutboundMessage
from mailbot.domain import OrderStatus, PaymentMethod
from mailbot.orders import NewOrder, create_order
from mailbot.outbound.payments import latest_due_step, plan_payments, run_payment_sweep
from mailbot.outbound.plan import EnqueueResult
from tests.support.factories import make_customer, make_service
from tests.support.templates import write_payment_templates

CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Rome


@pytest.fixture
def papp(app: App, tmp_path: Path) -> App:
    return dataclasses.replace(app, renderer=write_payment_templates(tmp_path / "tpl"))


def new_order(app: App, created: datetime = CREATED, **customer: object) -> int:
    with transaction(app.sessions) as session:
        owner = make_customer(session, **customer)
        order = create_order(
            session, app, NewOrder(owner, [make_service(session, owner)], 1, PaymentMethod.BANK_TRANSFER), now=created
        )
        return order.id


def keys(app: App) -> list[str]:
    with app.sessions() as session:
        return list(session.scalars(select(OutboundMessage.idempotency_key).order_by(OutboundMessage.id)))


def day(n: int) -> datetime:
    return CREATED + timedelta(days=n)


def test_steps_by_age() -> None:
    policy = PaymentsConfig()
    created = date(2026, 3, 2)
    steps = [latest_due_step(created, created + timedelta(days=n), policy) for n in (-1, 0, 2, 3, 6, 7, 29, 30, 45)]
    assert steps == [
        None,
        "instructions",
        "instructions",
        "reminder_1",
        "reminder_1",
        "reminder_2",
        "reminder_2",
        "cancelled",
        "cancelled",
    ]


def test_reminders_at_3_and_7_days_then_cancellation_at_30(papp: App) -> None:
    oid = new_order(papp)
    assert run_payment_sweep(papp, day(2)) == EnqueueResult(0, 0, 0)
    assert run_payment_sweep(papp, day(3)).enqueued == 1
    assert keys(papp)[-1] == f"order:{oid}:reminder_1"
    assert run_payment_sweep(papp, day(3) + timedelta(hours=5)).enqueued == 0  # twice = nothing new
    assert run_payment_sweep(papp, day(7)).enqueued == 1
    assert run_payment_sweep(papp, day(29)).enqueued == 0
    assert run_payment_sweep(papp, day(30)).enqueued == 1
    assert keys(papp) == [f"order:{oid}:{s}" for s in ("instructions", "reminder_1", "reminder_2", "cancelled")]
    with papp.sessions() as session:
        order = session.get(Order, oid)
        assert order is not None
        assert order.status == OrderStatus.CANCELLED
        assert order.cancelled_at == day(30)
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "order.cancelled")).one()
        assert event.actor == "payment-sweep"
        rows = session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
        assert [r.template for r in rows] == [
            "payment_instructions",
            "payment_reminder",
            "payment_reminder",
            "order_cancelled",
        ]
        assert "reminder 2 due" in rows[2].body_text
        assert rows[3].body_text.startswith(f"{order.number} cancelled")
    assert run_payment_sweep(papp, day(31)) == EnqueueResult(0, 0, 0)


def test_catch_up_sends_only_the_latest_step(papp: App) -> None:
    oid = new_order(papp)
    assert run_payment_sweep(papp, day(8)).enqueued == 1
    assert keys(papp) == [f"order:{oid}:instructions", f"order:{oid}:reminder_2"]


def test_missing_instructions_are_sent_by_the_sweep(papp: App) -> None:
    oid = new_order(papp)
    with transaction(papp.sessions) as session:
        session.query(OutboundMessage).delete()
    assert run_payment_sweep(papp, day(1)).enqueued == 1
    assert keys(papp) == [f"order:{oid}:instructions"]


def test_payment_announced_gets_no_reminder_and_is_not_cancelled(papp: App) -> None:
    oid = new_order(papp)
    with transaction(papp.sessions) as session:
        order = session.get(Order, oid)
        assert order is not None
        order.status = OrderStatus.PAYMENT_ANNOUNCED
    assert run_payment_sweep(papp, day(7)).enqueued == 0
    assert run_payment_sweep(papp, day(40)).enqueued == 0
    with papp.sessions() as session:
        assert session.get(Order, oid).status == OrderStatus.PAYMENT_ANNOUNCED  # type: ignore[union-attr]
    assert keys(papp) == [f"order:{oid}:instructions"]


def test_days_are_counted_in_local_time(papp: App) -> None:
    # 23:30 UTC on 1 March is 00:30 on 2 March in Rome: day 0 is 2 March.
    created = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    new_order(papp, created)
    # 22:30 UTC on 4 March is 23:30 in Rome: 2 local days, although the UTC dates are 3 apart.
    assert run_payment_sweep(papp, datetime(2026, 3, 4, 22, 30, tzinfo=UTC)).enqueued == 0
    assert run_payment_sweep(papp, datetime(2026, 3, 4, 23, 30, tzinfo=UTC)).enqueued == 1


def test_plan_writes_nothing_and_suppresses_undeliverable(papp: App) -> None:
    good = new_order(papp)
    bad = new_order(papp, email_undeliverable=True, undeliverable_reason="550 user unknown")
    with papp.sessions() as session:
        planned = plan_payments(session, papp.config, papp.links, day(30))
        session.rollback()
    by_order = {p.order_id: p for p in planned}
    assert set(by_order) == {good, bad}
    assert by_order[good].suppressed is None
    suppressed = by_order[bad].suppressed
    assert suppressed is not None and "550 user unknown" in suppressed
    assert by_order[good].template == "order_cancelled"
    with papp.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Order).where(Order.status == "cancelled")) == 0
    # The sweep cancels both; only the deliverable customer is told.
    result = run_payment_sweep(papp, day(30))
    assert (result.enqueued, result.suppressed) == (1, 1)
    with papp.sessions() as session:
        statuses = session.scalars(select(Order.status).order_by(Order.id)).all()
        assert statuses == [OrderStatus.CANCELLED, OrderStatus.CANCELLED]


def test_paid_order_gets_nothing(papp: App) -> None:
    oid = new_order(papp)
    with transaction(papp.sessions) as session:
        order = session.get(Order, oid)
        assert order is not None
        order.status = OrderStatus.PAID
    assert run_payment_sweep(papp, day(30)).enqueued == 0


def test_two_concurrent_sweeps_send_and_cancel_once(papp: App) -> None:
    oids = [new_order(papp) for _ in range(3)]
    barrier = threading.Barrier(2)
    results: list[EnqueueResult] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            results.append(run_payment_sweep(papp, day(30)))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.enqueued for r in results) == 3
    with papp.sessions() as session:
        events = session.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == "order.cancelled")).all()
        assert len(events) == 3
    assert sorted(keys(papp)) == sorted(
        [f"order:{o}:instructions" for o in oids] + [f"order:{o}:cancelled" for o in oids]
    )
