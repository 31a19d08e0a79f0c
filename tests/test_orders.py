"""Orders: amounts, numbering, creation with instructions, payment and cancellation."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.config import PaymentsConfig
from mailbot.db.engine import session_factory, transaction
from mailbot.db.models import AuditEvent, Customer, Order, OutboundMessage, Product
from mailbot.domain import Cadence, CustomerKind, OrderStatus, OrderType, PaymentMethod, ServiceStatus
from mailbot.errors import InputError
from mailbot.orders import (
    NewOrder,
    OrderRefused,
    add_years,
    cancel_order,
    create_order,
    mark_paid,
    next_order_number,
    price_order,
    refuse_open_orders,
)
from mailbot.outbound.order_mail import payment_context
from mailbot.outbound.payments import run_payment_sweep
from tests.support.factories import make_customer, make_service
from tests.support.templates import write_payment_templates

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
TERMS = PaymentsConfig(vat_rate=Decimal("22"), split_payment_valid_until=date(2027, 6, 30))
DAY = NOW.date()


@pytest.fixture
def papp(app: App, tmp_path: Path) -> App:
    return dataclasses.replace(app, renderer=write_payment_templates(tmp_path / "tpl"))


def product(**kw: object) -> Product:
    values: dict[str, object] = {
        "code": "P",
        "name": "Portale",
        "cadence": Cadence.ANNUAL,
        "price_cents": 12000,
        "max_years": 10,
        "promo": False,
        "bank_transfer_fee_cents": 300,
    }
    values.update(kw)
    return Product(**values)


PRIVATE = Customer(kind=CustomerKind.PRIVATE, split_payment=False)


# -- amounts -----------------------------------------------------------------------------------


def test_annual_card_order_pays_net_plus_vat() -> None:
    amounts = price_order([product()], 1, PaymentMethod.CARD, PRIVATE, TERMS, day=DAY)
    assert (amounts.net_cents, amounts.fee_cents, amounts.vat_cents) == (12000, 0, 2640)
    assert amounts.total_cents == amounts.due_cents == 14640
    assert not amounts.split_payment


def test_years_multiply_and_services_add_up() -> None:
    amounts = price_order([product(), product(price_cents=5000)], 3, PaymentMethod.PAYPAL, PRIVATE, TERMS, day=DAY)
    assert amounts.net_cents == (12000 + 5000) * 3
    assert amounts.vat_cents == 11220


def test_monthly_plan_costs_twelve_months_per_year() -> None:
    amounts = price_order(
        [product(cadence=Cadence.MONTHLY, price_cents=1000)], 2, PaymentMethod.CARD, PRIVATE, TERMS, day=DAY
    )
    assert amounts.net_cents == 24000


def test_vat_rounds_half_up() -> None:
    # 75 cents x 22% = 16.5 cents: half-up gives 17 (banker's rounding would give 16).
    amounts = price_order([product(price_cents=75)], 1, PaymentMethod.CARD, PRIVATE, TERMS, day=DAY)
    assert amounts.vat_cents == 17


@pytest.mark.parametrize(
    ("kw", "years", "limit"),
    [
        ({"promo": True}, 3, "1 to 2 years"),
        ({"promo": True, "max_years": 1}, 2, "1 to 1 years"),
        ({}, 11, "1 to 10 years"),
        ({"max_years": 5}, 6, "1 to 5 years"),
        ({}, 0, "1 to 10 years"),
    ],
)
def test_years_outside_the_product_limit_are_refused(kw: dict[str, object], years: int, limit: str) -> None:
    with pytest.raises(InputError, match=limit):
        price_order([product(**kw)], years, PaymentMethod.CARD, PRIVATE, TERMS, day=DAY)


def test_promo_allows_two_years() -> None:
    assert price_order([product(promo=True)], 2, PaymentMethod.CARD, PRIVATE, TERMS, day=DAY).net_cents == 24000


def test_bank_transfer_is_one_year_with_one_fee_per_order() -> None:
    with pytest.raises(InputError, match="one year only"):
        price_order([product()], 2, PaymentMethod.BANK_TRANSFER, PRIVATE, TERMS, day=DAY)
    amounts = price_order([product(), product()], 1, PaymentMethod.BANK_TRANSFER, PRIVATE, TERMS, day=DAY)
    assert amounts.fee_cents == 300  # per order (payments.bank_transfer_fee_per); tests/test_order_pricing.py
    assert amounts.vat_cents == 5346  # 22% of 243.00 (net + fee)
    assert amounts.due_cents == amounts.total_cents == 24000 + 300 + 5346


@pytest.mark.parametrize(
    "customer",
    [
        Customer(kind=CustomerKind.PUBLIC_ADMINISTRATION, split_payment=False),
        Customer(kind=CustomerKind.COMPANY, split_payment=True),
    ],
)
def test_split_payment_due_is_net_plus_fee(customer: Customer) -> None:
    amounts = price_order([product()], 1, PaymentMethod.BANK_TRANSFER, customer, TERMS, day=DAY)
    assert amounts.split_payment
    assert amounts.due_cents == 12300
    assert amounts.total_cents == 12300 + 2706


def test_no_payment_method_cannot_pay() -> None:
    with pytest.raises(InputError, match="cannot pay"):
        price_order([product()], 1, PaymentMethod.NONE, PRIVATE, TERMS, day=DAY)


def test_add_years_keeps_the_day_and_handles_leap_day() -> None:
    assert add_years(date(2026, 12, 31), 2) == date(2028, 12, 31)
    assert add_years(date(2028, 2, 29), 1) == date(2029, 2, 28)


# -- numbering ---------------------------------------------------------------------------------


def test_numbers_are_sequential_per_year(engine: Engine) -> None:
    factory = session_factory(engine)
    numbers = []
    for year in (2026, 2026, 2026, 2027):
        with transaction(factory) as session:
            numbers.append(next_order_number(session, year))
    assert numbers == ["ORD-2026-000001", "ORD-2026-000002", "ORD-2026-000003", "ORD-2027-000001"]


def test_numbers_are_unique_under_two_concurrent_threads(engine: Engine) -> None:
    factory = session_factory(engine)
    per_thread = 15
    barrier = threading.Barrier(2)
    results: list[list[str]] = [[], []]
    errors: list[BaseException] = []

    def work(slot: int) -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                with transaction(factory) as session:
                    results[slot].append(next_order_number(session, 2026))
        except BaseException as exc:  # reported below, so a failure is not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    everything = results[0] + results[1]
    assert sorted(everything) == [f"ORD-2026-{n:06d}" for n in range(1, 2 * per_thread + 1)]


# -- create, pay, cancel -----------------------------------------------------------------------


def outbox(session: Session) -> list[OutboundMessage]:
    return list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def test_create_order_enqueues_instructions_once(papp: App) -> None:
    with transaction(papp.sessions) as session:
        customer = make_customer(session)
        service = make_service(session, customer)
        order = create_order(
            session, papp, NewOrder(customer, [service], 1, PaymentMethod.BANK_TRANSFER, OrderType.RENEWAL), now=NOW
        )
        order_id = order.id
    assert order.number == "ORD-2026-000001"
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert (order.net_cents, order.fee_cents, order.due_cents) == (12000, 300, 15006)
    with papp.sessions() as session:
        rows = outbox(session)
        assert [(r.idempotency_key, r.template, r.order_id) for r in rows] == [
            (f"order:{order_id}:instructions", "payment_instructions", order_id)
        ]
        assert "ORD-2026-000001 due 150.06 via bank_transfer" in rows[0].body_text
        assert rows[0].subject == "[payment_instructions] ORD-2026-000001"
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "order.created")).all()
        assert [a.entity_id for a in audit] == ["ORD-2026-000001"]
    # The sweep on the same day finds the instructions already there.
    result = run_payment_sweep(papp, NOW)
    assert (result.enqueued, result.already_there) == (0, 0)
    with papp.sessions() as session:
        assert len(outbox(session)) == 1


def test_order_and_email_roll_back_together(papp: App) -> None:
    with pytest.raises(RuntimeError), transaction(papp.sessions) as session:
        customer = make_customer(session)
        service = make_service(session, customer)
        create_order(session, papp, NewOrder(customer, [service], 1, PaymentMethod.CARD), now=NOW)
        raise RuntimeError("the caller fails after creating the order")
    with papp.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 0
        assert outbox(session) == []


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"status": ServiceStatus.SUSPENDED}, "cannot be renewed"),
        ({"expires_on": date(2026, 7, 1)}, "cannot be renewed"),  # 123 days ago: past the 90 days of grace
        ({"other_customer": True}, "does not belong"),
    ],
)
def test_create_order_refuses_services_it_cannot_renew(papp: App, kw: dict[str, Any], message: str) -> None:
    with transaction(papp.sessions) as session:
        customer = make_customer(session)
        owner = make_customer(session) if kw.pop("other_customer", False) else customer
        service = make_service(session, owner, **kw)
        with pytest.raises(InputError, match=message):
            create_order(session, papp, NewOrder(customer, [service], 1, PaymentMethod.CARD), now=NOW)


def test_a_service_in_an_open_order_is_refused_before_an_order_is_made(papp: App) -> None:
    with transaction(papp.sessions) as session:
        customer = make_customer(session)
        service, other = make_service(session, customer), make_service(session, customer)
        refuse_open_orders(session, [service, other])  # nothing open yet
        first = create_order(session, papp, NewOrder(customer, [service], 1, PaymentMethod.CARD), now=NOW)
        with pytest.raises(OrderRefused, match=f"service {service.external_id} is already in open order") as refused:
            refuse_open_orders(session, [other, service])
        assert refused.value.field == "services"
        assert first.number in str(refused.value)
        cancel_order(session, first, NOW, "staff:anna", "wrong method")
        refuse_open_orders(session, [other, service])


def test_refusals_name_the_field_to_change() -> None:
    cases = [
        (([], 1, PaymentMethod.CARD), "services"),
        (([product()], 1, PaymentMethod.NONE), "method"),
        (([product()], 11, PaymentMethod.CARD), "years"),
        (([product()], 2, PaymentMethod.BANK_TRANSFER), "years"),
    ]
    for (products, years, method), field in cases:
        with pytest.raises(OrderRefused) as refused:
            price_order(products, years, method, PRIVATE, TERMS, day=DAY)
        assert refused.value.field == field


def test_service_in_grace_can_be_reactivated(papp: App) -> None:
    with transaction(papp.sessions) as session:
        customer = make_customer(session)
        service = make_service(session, customer, expires_on=date(2026, 9, 1))  # 61 days ago
        order = create_order(
            session, papp, NewOrder(customer, [service], 1, PaymentMethod.CARD, OrderType.REACTIVATION), now=NOW
        )
        moved = mark_paid(session, order, NOW, "staff:anna")
        # Reactivation also counts from the old expiry date, not from the day of payment.
        assert moved == {service.id: (date(2026, 9, 1), date(2027, 9, 1))}


def test_mark_paid_moves_expiry_from_the_natural_expiry_date(papp: App) -> None:
    paid_at = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    with transaction(papp.sessions) as session:
        customer = make_customer(session)
        first = make_service(session, customer, expires_on=date(2026, 12, 31))
        second = make_service(session, customer, expires_on=date(2027, 3, 15))
        order = create_order(session, papp, NewOrder(customer, [first, second], 2, PaymentMethod.CARD), now=NOW)
        mark_paid(session, order, paid_at, "staff:anna")
    with papp.sessions() as session:
        stored = session.get(Order, order.id)
        assert stored is not None
        assert stored.status == OrderStatus.PAID
        assert stored.paid_at == paid_at
        assert [s.expires_on for s in stored.services] == [date(2028, 12, 31), date(2029, 3, 15)]
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "order.paid")).one()
        assert event.actor == "staff:anna"
        with pytest.raises(InputError, match="is paid"):
            mark_paid(session, stored, paid_at, "staff:anna")


def test_cancelled_order_cannot_be_paid(papp: App) -> None:
    with transaction(papp.sessions) as session:
        customer = make_customer(session)
        service = make_service(session, customer)
        order = create_order(session, papp, NewOrder(customer, [service], 1, PaymentMethod.CARD), now=NOW)
        cancel_order(session, order, NOW, "customer", "changed their mind")
        assert order.status == OrderStatus.CANCELLED
        assert order.cancelled_at == NOW
        with pytest.raises(InputError, match="is cancelled"):
            mark_paid(session, order, NOW, "staff:anna")
        assert service.expires_on == date(2026, 12, 31)
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "order.cancelled")).one()
        assert event.details["reason"] == "changed their mind"


# -- payment context ---------------------------------------------------------------------------


def test_payment_context_of_a_pa_lists_what_is_missing(papp: App) -> None:
    with transaction(papp.sessions) as session:
        pa = make_customer(session, kind=CustomerKind.PUBLIC_ADMINISTRATION, recipient_code="UF1234", language="en")
        service = make_service(session, pa)
        order = create_order(session, papp, NewOrder(pa, [service], 1, PaymentMethod.BANK_TRANSFER), now=NOW)
        ctx = payment_context(order, papp.config, papp.links, NOW)
        assert ctx.lang == "en"
        assert ctx.pa_missing == ("cig", "username")
        assert ctx.order.office_code == "UF1234"
        # 2026-11-01 is after the default end of split payment (2026-06-30): the administration pays the total.
        assert not order.split_payment
        assert ctx.order.due == Decimal("150.06")
        assert ctx.order.cancel_on == date(2026, 12, 1)
        assert ctx.split_payment_valid_until == papp.config.payments.split_payment_valid_until
        order.cig = "Z213346E34"
        order.pa_username = "asl.user"
        assert payment_context(order, papp.config, papp.links, NOW).pa_missing == ()
        check = papp.links.check_url(ctx.pay_link, NOW)
        assert check.valid and check.grant is not None
        assert (check.grant.action, check.grant.order_number) == ("pay", order.number)
        assert check.grant.services == ((service.id, service.expires_on),)


def test_payment_context_of_a_private_customer_asks_nothing(papp: App) -> None:
    with transaction(papp.sessions) as session:
        customer = make_customer(session)
        order = create_order(
            session, papp, NewOrder(customer, [make_service(session, customer)], 1, PaymentMethod.CARD), now=NOW
        )
        assert payment_context(order, papp.config, papp.links, NOW, reminder_number=2).pa_missing == ()


def test_undeliverable_customer_gets_no_instructions(papp: App) -> None:
    with transaction(papp.sessions) as session:
        customer = make_customer(session, email_undeliverable=True, undeliverable_reason="550 no such user")
        order = create_order(
            session, papp, NewOrder(customer, [make_service(session, customer)], 1, PaymentMethod.CARD), now=NOW
        )
        assert order.id is not None
        assert outbox(session) == []


# -- the command line ---------------------------------------------------------------------------


def test_cli_paid_cancel_and_list(papp: App, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mailbot.cli import main

    cfg = config_file
    with transaction(papp.sessions) as session:
        customer = make_customer(session)
        numbers = [
            create_order(
                session, papp, NewOrder(customer, [make_service(session, customer)], 1, PaymentMethod.CARD), now=NOW
            ).number
            for _ in range(2)
        ]
    base = ["--config", str(cfg), "orders"]
    assert main([*base, "list"]) == 0
    listing = capsys.readouterr().out
    assert all(n in listing for n in numbers)
    assert main([*base, "paid", numbers[0], "--actor", "staff:anna"]) == 0
    assert "-> 2027-12-31" in capsys.readouterr().out
    assert main([*base, "paid", numbers[0]]) == 2
    assert "is paid" in capsys.readouterr().err
    assert main([*base, "cancel", numbers[1], "--reason", "duplicate"]) == 0
    assert main([*base, "paid", "ORD-2026-999999"]) == 2
    assert main([*base, "sweep", "--now", "2026-11-05T09:00+01:00"]) == 0  # nothing open: nothing to render
    assert "0 enqueued" in capsys.readouterr().out
    with papp.sessions() as session:
        statuses = session.scalars(select(Order.status).order_by(Order.id)).all()
        assert statuses == [OrderStatus.PAID, OrderStatus.CANCELLED]
