"""What a renewal link grants must still stand: its customer, services, cycles and order (``grants.py``),
checked as values, then through ``mailbot link check`` on the database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mailbot.app import App
from mailbot.cli import main
from mailbot.db.engine import transaction
from mailbot.db.models import Order
from mailbot.domain import OrderStatus, PaymentMethod, ServiceStatus
from mailbot.orders import NewOrder, create_order
from mailbot.outbound.grants import GrantState, OrderNow, ServiceNow, why_not_usable
from mailbot.outbound.links import LinkGrant
from tests.support.factories import make_customer, make_service

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
CYCLE = date(2026, 12, 31)


def grant(action: str = "renew", order: str | None = None, services: tuple[int, ...] = (1, 2)) -> LinkGrant:
    return LinkGrant(7, action, tuple((sid, CYCLE) for sid in services), order, NOW)


def service(sid: int, **kw: object) -> ServiceNow:
    values: dict[str, object] = {"id": sid, "customer_id": 7, "status": "active", "expires_on": CYCLE, "label": "x"}
    values.update(kw)
    return ServiceNow(**values)  # type: ignore[arg-type]


def state(*changed: ServiceNow, customer: bool = True, order: OrderNow | None = None) -> GrantState:
    found = {1: service(1), 2: service(2)} | {s.id: s for s in changed}
    return GrantState(customer="Anna <anna@example.org>" if customer else None, services=found, order=order)


def order(**kw: object) -> OrderNow:
    values: dict[str, object] = {
        "number": "ORD-2026-000001",
        "customer_id": 7,
        "status": "awaiting_payment",
        "service_ids": frozenset({1, 2}),
    }
    values.update(kw)
    return OrderNow(**values)  # type: ignore[arg-type]


def test_a_link_whose_grant_stands() -> None:
    assert why_not_usable(grant(), state()) == []
    assert why_not_usable(grant("reactivate"), state()) == []
    assert why_not_usable(grant("pay", "ORD-2026-000001"), state(order=order())) == []


@pytest.mark.parametrize(
    ("changed", "reason"),
    [
        (service(2, status="cancelled"), "service 2: cancelled"),
        (service(2, status="suspended"), "service 2: suspended"),
        (service(2, customer_id=8), "service 2: not this customer's"),
        (service(2, expires_on=date(2027, 12, 31)), "service 2: already renewed (now expires 2027-12-31)"),
        (service(2, expires_on=date(2026, 6, 30)), "service 2: its expiry changed to 2026-06-30"),
    ],
)
def test_a_service_that_changed(changed: ServiceNow, reason: str) -> None:
    assert why_not_usable(grant(), state(changed)) == [reason]


def test_a_service_or_customer_that_is_gone() -> None:
    gone = GrantState(customer="Anna", services={1: service(1)}, order=None)
    assert why_not_usable(grant(), gone) == ["service 2: not found"]
    assert why_not_usable(grant(), state(customer=False)) == ["customer 7: not found"]
    assert why_not_usable(grant(services=()), state()) == ["the link names no service"]


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        (order(status="paid"), "order ORD-2026-000001: paid, not awaiting payment"),
        (order(status="cancelled"), "order ORD-2026-000001: cancelled, not awaiting payment"),
        (order(status="payment_announced"), "order ORD-2026-000001: payment_announced, not awaiting payment"),
        (order(customer_id=8), "order ORD-2026-000001: not this customer's"),
        (order(service_ids=frozenset({1})), "order ORD-2026-000001: no longer covers service 2"),
        (None, "order ORD-2026-000001: not found"),
    ],
)
def test_a_payment_link_whose_order_changed(now: OrderNow | None, reason: str) -> None:
    assert why_not_usable(grant("pay", "ORD-2026-000001"), state(order=now)) == [reason]


def test_a_payment_link_names_its_order() -> None:
    assert why_not_usable(grant("pay", None), state()) == ["a payment link names no order"]


def test_every_reason_is_listed() -> None:
    reasons = why_not_usable(
        grant("pay", "ORD-2026-000001"),
        state(service(1, status="cancelled"), customer=False, order=order(status="paid", customer_id=8)),
    )
    assert reasons == [
        "customer 7: not found",
        "service 1: cancelled",
        "order ORD-2026-000001: not this customer's",
        "order ORD-2026-000001: paid, not awaiting payment",
    ]


# Through the command, on the database ----------------------------------------------------------------


def _check(config_file: Path, url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = main(["--config", str(config_file), "link", "check", url, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_link_check_payment_link(app: App, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with transaction(app.sessions) as session:
        customer = make_customer(session)
        services = [make_service(session, customer, expires_on=CYCLE)]
        made = create_order(
            session, app, NewOrder(customer, services, 1, PaymentMethod.BANK_TRANSFER), now=datetime.now(UTC)
        )
        ids, number = (customer.id, made.id, services[0].id), made.number
    url = app.links.make_url(LinkGrant(ids[0], "pay", ((ids[2], CYCLE),), number, datetime.now(UTC)))
    code, report = _check(config_file, url, capsys)
    assert code == 0 and report["usable"] and report["problems"] == []
    with transaction(app.sessions) as session:
        session.get_one(Order, ids[1]).status = OrderStatus.CANCELLED
    code, report = _check(config_file, url, capsys)
    assert code == 1 and not report["usable"] and report["valid"]
    assert report["problems"] == [f"order {number}: cancelled, not awaiting payment"]
    with transaction(app.sessions) as session:
        order_row = session.get_one(Order, ids[1])
        order_row.status, order_row.customer_id = OrderStatus.AWAITING_PAYMENT, make_customer(session).id
    code, report = _check(config_file, url, capsys)
    assert code == 1 and report["problems"] == [f"order {number}: not this customer's"]


def test_link_check_cancelled_service(app: App, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with transaction(app.sessions) as session:
        customer = make_customer(session)
        first, second = (make_service(session, customer, expires_on=CYCLE) for _ in range(2))
        ids = (customer.id, first.id, second.id)
    url = app.links.make_url(LinkGrant(ids[0], "renew", ((ids[1], CYCLE), (ids[2], CYCLE)), None, datetime.now(UTC)))
    assert _check(config_file, url, capsys)[0] == 0
    with transaction(app.sessions) as session:
        session.get_one(type(first), ids[2]).status = ServiceStatus.CANCELLED
    code = main(["--config", str(config_file), "link", "check", url])
    out = capsys.readouterr().out
    assert code == 1 and f"service {ids[2]} (cycle ending 2026-12-31): cancelled" in out and "usable: NO" in out
    assert f"service {ids[1]} (cycle ending 2026-12-31): current" in out
