"""``mailbot orders create``: staff make an order with the rules of an order made from a reply, and the
payment instructions go out; every refusal is one line naming the option (exit 2), nothing written.

The command takes no ``--now``: dates here are relative to today in the configured time zone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import main
from mailbot.cli.exits import EX_USAGE
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent, Customer, Order, OutboundMessage
from mailbot.domain import CustomerKind, OrderStatus, OrderType, PaymentMethod, ServiceStatus
from mailbot.orders import NewOrder, create_order
from tests.support.factories import make_customer, make_product, make_service

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(config_file: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Cli]:
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["--config", str(config_file), "orders", "create", *argv])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    yield run


def today(app: App) -> date:
    return datetime.now(app.config.tz).date()


@pytest.fixture
def world(app: App) -> dict[str, Any]:
    """Anna (C001) with three services: S001 and S002 running, S003 expired 30 days ago (in grace), S004
    suspended; Bruno (C002) with S010; a public administration (C003) with S020."""
    day = today(app)
    with transaction(app.sessions) as session:
        anna = make_customer(session, external_id="C001", name="Anna Rossi", email="anna@example.org")
        bruno = make_customer(session, external_id="C002", name="Bruno Bianchi", email="bruno@example.org")
        pa = make_customer(
            session, external_id="C003", kind=CustomerKind.PUBLIC_ADMINISTRATION, recipient_code="UF1234"
        )
        portal = make_product(session, code="PORTAL", bank_transfer_fee_cents=300)
        archive = make_product(session, code="ARCH", price_cents=5000, bank_transfer_fee_cents=500, promo=True)
        ids = {
            "S001": make_service(session, anna, portal, external_id="S001", expires_on=day + timedelta(days=40)),
            "S002": make_service(session, anna, archive, external_id="S002", expires_on=day + timedelta(days=70)),
            "S003": make_service(session, anna, portal, external_id="S003", expires_on=day - timedelta(days=30)),
            "S004": make_service(
                session, anna, portal, external_id="S004", expires_on=day - timedelta(days=120),
                status=ServiceStatus.SUSPENDED,
            ),
            "S010": make_service(session, bruno, portal, external_id="S010", expires_on=day + timedelta(days=10)),
            "S020": make_service(session, pa, portal, external_id="S020", expires_on=day + timedelta(days=10)),
        }  # fmt: skip
        return {"anna": anna.id, "ids": {k: v.id for k, v in ids.items()}}


def orders(app: App) -> list[Order]:
    with app.sessions() as session:
        found = list(session.scalars(select(Order).order_by(Order.id)))
        for order in found:
            _ = order.services
        return found


def outbox(app: App) -> list[OutboundMessage]:
    with app.sessions() as session:
        return list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def test_staff_create_an_order_and_the_instructions_are_enqueued(app: App, world: dict[str, Any], cli: Cli) -> None:
    s002 = str(world["ids"]["S002"])  # by database id
    argv = ("--customer", "C001", "--services", f"S001, {s002}", "--years", "1", "--method", "bank_transfer")
    code, out, err = cli(*argv, "--actor", "staff:anna")
    assert code == 0, err
    year = today(app).year
    number = f"ORD-{year}-000001"
    lines = out.splitlines()
    assert lines[0] == f"{number}: renewal of S001, S002 for 1 year by bank_transfer, awaiting payment"
    # one handling fee per order: the highest of the two products' (5.00)
    assert lines[1] == "net 170.00 + fee 5.00 + VAT 38.50 = 213.50; due 213.50"
    assert lines[2] == "payment instructions enqueued to anna@example.org"
    (order,) = orders(app)
    assert (order.number, order.type, order.status, order.years) == (
        number, OrderType.RENEWAL, OrderStatus.AWAITING_PAYMENT, 1,
    )  # fmt: skip
    assert sorted(s.external_id for s in order.services) == ["S001", "S002"]
    (mail,) = outbox(app)
    assert (mail.template, mail.order_id, mail.to_address) == ("payment_instructions", order.id, "anna@example.org")
    assert number in mail.body_text and "213,50" in mail.body_text
    with app.sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "order.created")).one()
        assert (event.actor, event.entity_id) == ("staff:anna", number)


def test_an_expired_service_in_grace_makes_a_reactivation(app: App, world: dict[str, Any], cli: Cli) -> None:
    customer = str(world["anna"])  # the customer by database id
    code, out, err = cli("--customer", customer, "--services", "S003", "--years", "2", "--method", "card")
    assert code == 0, err
    assert out.splitlines()[0].endswith(": reactivation of S003 for 2 years by card, awaiting payment")
    assert out.splitlines()[1] == "net 240.00 + fee 0.00 + VAT 52.80 = 292.80; due 292.80"
    assert orders(app)[0].type == OrderType.REACTIVATION


def test_a_public_administration_under_split_payment_is_told_so(app: App, world: dict[str, Any], cli: Cli) -> None:
    code, out, err = cli("--customer", "C003", "--services", "S020", "--years", "1", "--method", "bank_transfer")
    assert code == 0, err
    split = orders(app)[0].split_payment
    assert split == (today(app) <= app.config.payments.split_payment_valid_until)
    if split:  # while the regime lasts (payments.split_payment_valid_until)
        assert out.splitlines()[1].endswith("; due 123.00 (split payment: the VAT is paid to the State)")
    else:
        assert out.splitlines()[1] == "net 120.00 + fee 3.00 + VAT 27.06 = 150.06; due 150.06"


def test_no_instructions_to_an_undeliverable_address(app: App, cli: Cli) -> None:
    with transaction(app.sessions) as session:
        lost = make_customer(session, external_id="C009", email_undeliverable=True, undeliverable_reason="550 gone")
        make_service(session, lost, external_id="S090", expires_on=today(app) + timedelta(days=5))
    code, out, _ = cli("--customer", "C009", "--services", "S090", "--years", "1", "--method", "paypal")
    assert code == 0
    assert out.splitlines()[-1] == "no payment instructions: the customer's address is undeliverable (550 gone)"
    assert len(orders(app)) == 1 and outbox(app) == []


REFUSALS = [
    (("--customer", "C404"), "--customer: no customer with id C404"),
    (("--services", "S404"), "--services: no service with id S404"),
    (("--services", " , "), "--services: give one or more services"),
    (("--services", "S001,S001"), "--services: a service appears twice in the order"),
    (("--services", "S010"), "--services: service S010 does not belong to customer C001"),
    (("--services", "S004"), "--services: service S004 cannot be renewed: it is suspended"),
    (("--services", "S004"), "a new purchase is needed"),
    (("--years", "two"), "--years: expected a whole number of years, got 'two'"),
    (("--years", "0"), "--years: 0 not allowed for product PORTAL (1 to 10 years)"),
    (("--years", "3", "--method", "card"), "--years: 3 not allowed for promotional product ARCH (1 to 2 years)"),
    (("--years", "2"), "--years: bank transfer renews for one year only, not 2"),
    (("--method", "cash"), "--method: expected one of bank_transfer, card, paypal, postal_slip, got 'cash'"),
    (("--method", "none"), "--method: expected one of"),
]


@pytest.mark.parametrize(("change", "words"), REFUSALS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_refusal_is_one_line_naming_the_option(
    app: App, world: dict[str, Any], cli: Cli, change: tuple[str, ...], words: str
) -> None:
    options = {"--customer": "C001", "--services": "S001,S002", "--years": "1", "--method": "bank_transfer"}
    options.update(dict(zip(change[::2], change[1::2], strict=True)))
    code, out, err = cli(*[part for pair in options.items() for part in pair])
    assert code == EX_USAGE
    (line,) = err.strip().splitlines()
    assert line.startswith("mailbot: error: --") and words in line
    assert out == ""
    assert orders(app) == [] and outbox(app) == []


def test_an_open_order_for_a_service_is_refused(app: App, world: dict[str, Any], cli: Cli) -> None:
    with transaction(app.sessions) as session:
        anna = session.get_one(Customer, world["anna"])
        first = create_order(session, app, NewOrder(anna, anna.services[:1], 1, PaymentMethod.CARD), now=_now(app))
        number = first.number
    code, _, err = cli("--customer", "C001", "--services", "S002,S001", "--years", "1", "--method", "card")
    assert code == EX_USAGE
    assert err.strip() == (
        f"mailbot: error: --services: service S001 is already in open order {number} (awaiting_payment):"
        " cancel it or register its payment first"
    )
    assert [o.number for o in orders(app)] == [number]


def _now(app: App) -> datetime:
    return datetime.now(app.config.tz)


MISSING_CUSTOMER = ("--services", "S001", "--years", "1", "--method", "card")
WITH_A_CODE = ("--customer", "C001", *MISSING_CUSTOMER, "--code", "WELCOME10")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (MISSING_CUSTOMER, "the following arguments are required: --customer"),
        (WITH_A_CODE, "unrecognized arguments: --code WELCOME10"),
    ],
)
def test_argument_errors_are_usage_errors(
    config_file: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], words: str
) -> None:
    """A missing option, or --code (discount codes are not in this command yet), is argparse's exit 2."""
    with pytest.raises(SystemExit) as done:
        main(["--config", str(config_file), "orders", "create", *argv])
    assert done.value.code == EX_USAGE
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
