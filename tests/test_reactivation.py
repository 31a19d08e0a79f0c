"""The expiry a paid order gives: years added to the natural expiry, or, for a reactivation of a product
set to restart from the payment (``product.reactivation_from``), to the day it was paid. Date arithmetic
with its invariants (29 February, year ends) checked by hypothesis; the column and its migration."""

from __future__ import annotations

import calendar
import dataclasses
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import select, text

from mailbot.app import App
from mailbot.billing.payments import PaymentIn, record_payment
from mailbot.db.engine import make_engine, transaction, upgrade
from mailbot.db.models import AuditEvent, Product, Service
from mailbot.domain import OrderType, PaymentMethod, PaymentSource, ReactivationFrom
from mailbot.order_rules import add_years, new_expiry
from mailbot.orders import NewOrder, create_order, mark_paid
from tests.support.factories import make_customer, make_product, make_service
from tests.support.templates import write_payment_templates

EXPIRY = date(2026, 9, 1)
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # 61 days into grace
PAID_ON = date(2026, 11, 4)
PAID_AT = datetime(2026, 11, 6, 10, 0, tzinfo=UTC)  # registered two days after the customer paid

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31))
years = st.integers(min_value=1, max_value=10)


def is_leap_day(day: date) -> bool:
    return (day.month, day.day) == (2, 29)


# -- add_years -----------------------------------------------------------------------------------


@given(days, years)
@example(date(2028, 2, 29), 1)
@example(date(2028, 2, 29), 4)
@example(date(2026, 12, 31), 1)
@example(date(2026, 1, 1), 10)
def test_add_years_keeps_month_and_day_except_29_february(day: date, n: int) -> None:
    later = add_years(day, n)
    assert later.year == day.year + n
    if is_leap_day(day) and not calendar.isleap(later.year):
        assert later == date(later.year, 2, 28)  # a common year: the last day of February
    else:
        assert (later.month, later.day) == (day.month, day.day)


@given(days, years)
def test_add_years_is_about_n_years_never_less_than_a_day_short(day: date, n: int) -> None:
    elapsed = (add_years(day, n) - day).days
    leap_days = n // 4 + 1  # at most one leap day every four years, plus one at the edge
    assert 365 * n - 1 <= elapsed <= 365 * n + leap_days


@given(days, days, years)
def test_add_years_keeps_the_order_of_days(a: date, b: date, n: int) -> None:
    if a <= b:
        assert add_years(a, n) <= add_years(b, n)


@given(days, years, years)
def test_adding_in_two_steps_equals_one_step_except_from_29_february(day: date, a: int, b: int) -> None:
    stepwise, direct = add_years(add_years(day, a), b), add_years(day, a + b)
    if is_leap_day(day):
        assert timedelta(0) <= direct - stepwise <= timedelta(days=1)  # 28 February may stick
    else:
        assert stepwise == direct


def test_year_ends_and_leap_days() -> None:
    assert add_years(date(2026, 12, 31), 1) == date(2027, 12, 31)
    assert add_years(date(2027, 12, 31), 1) == date(2028, 12, 31)
    assert add_years(date(2028, 2, 29), 1) == date(2029, 2, 28)
    assert add_years(date(2028, 2, 29), 4) == date(2032, 2, 29)
    assert add_years(date(2027, 2, 28), 1) == date(2028, 2, 28)  # not the 29th: the same day


# -- new_expiry -----------------------------------------------------------------------------------


@pytest.mark.parametrize("order_type", [OrderType.RENEWAL, OrderType.REACTIVATION])
def test_by_default_every_order_counts_from_the_old_expiry(order_type: OrderType) -> None:
    assert new_expiry(EXPIRY, 1, order_type, ReactivationFrom.EXPIRY, PAID_ON) == date(2027, 9, 1)


def test_a_reactivation_restarts_from_the_payment_day_when_the_product_says_so() -> None:
    assert new_expiry(EXPIRY, 1, OrderType.REACTIVATION, ReactivationFrom.PAYMENT, PAID_ON) == date(2027, 11, 4)
    # a renewal (before expiry) always counts from the natural expiry
    assert new_expiry(EXPIRY, 1, OrderType.RENEWAL, ReactivationFrom.PAYMENT, PAID_ON) == date(2027, 9, 1)


def test_restart_from_29_february_and_at_the_year_end() -> None:
    assert new_expiry(date(2027, 12, 1), 1, OrderType.REACTIVATION, ReactivationFrom.PAYMENT, date(2028, 2, 29)) == (
        date(2029, 2, 28)
    )
    assert new_expiry(date(2026, 10, 3), 2, OrderType.REACTIVATION, ReactivationFrom.PAYMENT, date(2026, 12, 31)) == (
        date(2028, 12, 31)
    )


@given(days, st.integers(-400, 400), years, st.sampled_from(OrderType), st.sampled_from(ReactivationFrom))
def test_a_payment_never_shortens_a_service(
    expires_on: date, late: int, n: int, kind: OrderType, start: ReactivationFrom
) -> None:
    paid_on = expires_on + timedelta(days=late)
    result = new_expiry(expires_on, n, kind, start, paid_on)
    assert result == add_years(expires_on, n) or result == add_years(paid_on, n)
    assert result >= add_years(expires_on, n)  # never before the natural renewal
    restarts = kind == OrderType.REACTIVATION and start == ReactivationFrom.PAYMENT
    if restarts:
        assert (result - paid_on).days >= 365 * n - 1  # the customer gets the years paid for, from the payment
    if not restarts or paid_on <= expires_on:
        assert result == add_years(expires_on, n)  # a service not yet expired keeps its anniversary


# -- mark_paid on a real database -----------------------------------------------------------------


@pytest.fixture
def papp(app: App, tmp_path: Path) -> App:
    return dataclasses.replace(app, renderer=write_payment_templates(tmp_path / "tpl"))


def test_the_product_setting_defaults_to_the_old_expiry(papp: App) -> None:
    with transaction(papp.sessions) as session:
        assert make_product(session).reactivation_from == ReactivationFrom.EXPIRY


def test_an_order_for_an_expired_service_is_a_reactivation(papp: App) -> None:
    with transaction(papp.sessions) as session:
        customer = make_customer(session)

        def service(expires_on: date) -> Service:
            return make_service(session, customer, expires_on=expires_on)

        def order_type(*services: Service, given: OrderType | None = None) -> OrderType:
            new = NewOrder(customer, list(services), 1, PaymentMethod.CARD, given)
            return create_order(session, papp, new, now=NOW).type

        assert order_type(service(date(2027, 1, 31))) == OrderType.RENEWAL
        assert order_type(service(date(2026, 11, 1))) == OrderType.RENEWAL  # its expiry day: still a renewal
        assert order_type(service(EXPIRY)) == OrderType.REACTIVATION
        assert order_type(service(date(2027, 1, 31)), service(EXPIRY)) == OrderType.REACTIVATION
        assert order_type(service(EXPIRY), given=OrderType.RENEWAL) == OrderType.RENEWAL  # as given


def test_mark_paid_restarts_a_reactivation_from_the_recorded_payment_day(papp: App) -> None:
    with transaction(papp.sessions) as session:
        customer = make_customer(session)
        restart = make_product(session, reactivation_from=ReactivationFrom.PAYMENT)
        keep = make_product(session)
        expired = make_service(session, customer, restart, expires_on=EXPIRY)
        anniversary = make_service(session, customer, keep, expires_on=EXPIRY)
        not_yet = make_service(session, customer, restart, expires_on=date(2027, 1, 31))
        order = create_order(
            session, papp, NewOrder(customer, [expired, anniversary, not_yet], 1, PaymentMethod.BANK_TRANSFER), now=NOW
        )
        assert order.type == OrderType.REACTIVATION
        payment = PaymentIn(order.due_cents, PaymentMethod.BANK_TRANSFER, PAID_ON, PaymentSource.STATEMENT, "CRO 1")
        moved = record_payment(session, papp, order, payment, now=PAID_AT, actor="statement").moved
    assert moved == {
        expired.id: (EXPIRY, date(2027, 11, 4)),  # the day the customer paid, not the day it was registered
        anniversary.id: (EXPIRY, date(2027, 9, 1)),  # its product keeps the old expiry
        not_yet.id: (date(2027, 1, 31), date(2028, 1, 31)),  # not expired: its natural expiry
    }
    with papp.sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "order.paid")).one()
        assert event.details["paid_on"] == "2026-11-04"
        assert event.details["expiry"][str(expired.id)] == ["2026-09-01", "2027-11-04"]


def test_mark_paid_takes_the_payment_day_given_else_that_of_now(papp: App) -> None:
    with transaction(papp.sessions) as session:
        customer = make_customer(session)
        product = make_product(session, reactivation_from=ReactivationFrom.PAYMENT)
        first = make_service(session, customer, product, expires_on=EXPIRY)
        second = make_service(session, customer, product, expires_on=EXPIRY)
        one = create_order(session, papp, NewOrder(customer, [first], 1, PaymentMethod.CARD), now=NOW)
        two = create_order(session, papp, NewOrder(customer, [second], 1, PaymentMethod.CARD), now=NOW)
        assert mark_paid(session, one, PAID_AT, "staff:anna", paid_on=PAID_ON) == {
            first.id: (EXPIRY, date(2027, 11, 4))
        }
        assert mark_paid(session, two, PAID_AT, "staff:anna") == {second.id: (EXPIRY, date(2027, 11, 6))}


# -- the column and its migration -----------------------------------------------------------------


def test_0008_gives_existing_products_the_old_rule(db_url: str) -> None:
    upgrade(db_url, "0007")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO product (code, name, cadence, price_cents, max_years, promo, bank_transfer_fee_cents,"
                " storage_quota_mb) VALUES ('P', 'Portale', 'annual', 12000, 10, false, 300, 1024)"
            )
        )
    upgrade(db_url)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT reactivation_from FROM product")).scalar_one() == "expiry"
        conn.execute(
            text(
                "INSERT INTO product (code, name, cadence, price_cents, max_years, promo, bank_transfer_fee_cents,"
                " storage_quota_mb, reactivation_from) VALUES ('Q', 'Archivio', 'annual', 5000, 10, false, 0, 0,"
                " 'payment')"
            )
        )
    with engine.connect() as conn:
        found = {
            str(code): str(rule) for code, rule in conn.execute(text("SELECT code, reactivation_from FROM product"))
        }
    engine.dispose()
    assert found == {"P": "expiry", "Q": "payment"}


def test_a_service_row_keeps_its_product_rule(papp: App) -> None:
    with transaction(papp.sessions) as session:
        service = make_service(
            session, make_customer(session), make_product(session, reactivation_from=ReactivationFrom.PAYMENT)
        )
        service_id = service.id
    with papp.sessions() as session:
        product = session.scalars(select(Product).join(Service).where(Service.id == service_id)).one()
        assert product.reactivation_from == ReactivationFrom.PAYMENT
