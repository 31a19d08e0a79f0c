"""``mailbot status CUSTOMER``: one customer's account as staff see it, on a real database (SQLite, or
PostgreSQL with ``MAILBOT_TEST_DATABASE_URL``): the customer and billing data, every service with its
flags, every order newest first with its invoice; ``--json``; one line and exit 2 for nobody."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mailbot.cli import main
from mailbot.db.models import Customer, Invoice, Order
from mailbot.domain import (
    CustomerKind,
    InvoiceKind,
    InvoiceStatus,
    OrderStatus,
    OrderType,
    PaymentMethod,
    ServiceStatus,
)
from tests.support.factories import make_customer, make_product, make_service

TODAY = date(2026, 10, 2)
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(config_file: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["--config", str(config_file), "status", *argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def order(session: Session, customer: Customer, number: str, at: datetime, status: OrderStatus, due: int) -> Order:
    row = Order(
        number=number,
        customer_id=customer.id,
        type=OrderType.RENEWAL,
        status=status,
        payment_method=PaymentMethod.BANK_TRANSFER,
        years=1,
        net_cents=due,
        fee_cents=0,
        vat_cents=0,
        total_cents=due,
        due_cents=due,
        created_at=at,
    )
    session.add(row)
    session.flush()
    return row


def invoice(session: Session, o: Order, number: str | None) -> None:
    session.add(
        Invoice(
            order_id=o.id,
            customer_id=o.customer_id,
            kind=InvoiceKind.FATTURAPA,
            status=InvoiceStatus.ISSUED if number else InvoiceStatus.SCHEDULED,
            issue_on=TODAY,
            number=number,
            issued_on=TODAY if number else None,
            net_cents=o.net_cents,
            vat_cents=o.vat_cents,
            total_cents=o.total_cents,
            due_cents=o.due_cents,
        )
    )


@pytest.fixture
def account(engine: Engine) -> str:
    """A company with three services (expiring in 30 days by card with storage at 83 %, expired five days
    ago, far off without storage) and three orders (paid with its invoice, awaiting payment with one only
    scheduled, cancelled)."""
    with Session(engine) as session, session.begin():
        c = make_customer(
            session,
            external_id="C777",
            kind=CustomerKind.COMPANY,
            name="Rossi Impianti S.r.l.",
            email="amministrazione@rossi.example.org",
            vat_number="01234560157",
            pec="rossi@pec.example.org",
            recipient_code="M5UXCR1",
            street="Via Roma 1",
            postcode="20121",
            city="Milano",
            province="MI",
        )
        product = make_product(session, name="Portale Impianti Business")
        make_service(
            session,
            c,
            product,
            external_id="S771",
            label="Magazzino",
            username="rossi.magazzino",
            expires_on=TODAY + timedelta(days=30),
            autorenew=True,
            payment_method=PaymentMethod.CARD,
            storage_used_mb=850,
            storage_quota_mb=1024,
        )
        make_service(
            session,
            c,
            product,
            external_id="S772",
            label="Sede\x1b[2J",
            username="rossi.sede",
            expires_on=TODAY - timedelta(days=5),
            status=ServiceStatus.SUSPENDED,
        )
        make_service(
            session,
            c,
            product,
            external_id="S773",
            label="Archivio",
            username="rossi.archivio",
            expires_on=TODAY + timedelta(days=200),
            storage_used_mb=0,
            storage_quota_mb=0,
        )
        paid = order(session, c, "ORD-2025-000031", datetime(2025, 10, 1, 9, tzinfo=UTC), OrderStatus.PAID, 24400)
        invoice(session, paid, "2025/00031")
        waiting = order(
            session, c, "ORD-2026-000004", datetime(2026, 9, 30, 22, 30, tzinfo=UTC), OrderStatus.AWAITING_PAYMENT, 600
        )
        invoice(session, waiting, None)
        order(session, c, "ORD-2026-000001", datetime(2026, 1, 15, 9, tzinfo=UTC), OrderStatus.CANCELLED, 12200)
        make_customer(session, external_id="C778")  # another customer: nothing of it shows
    return "C777"


def test_status_shows_the_customer_services_and_orders(cli: Cli, account: str) -> None:
    code, out, err = cli(account, "--date", TODAY.isoformat())
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == (
        "customer C777: Rossi Impianti S.r.l. (company), amministrazione@rossi.example.org, language it"
    )
    assert lines[1] == (
        "billing: VAT 01234560157, PEC rossi@pec.example.org, recipient code M5UXCR1, "
        "address Via Roma 1, 20121 Milano (MI)"
    )
    assert "status on 2026-10-02" in lines[2]
    services = out[out.index("SERVICE") : out.index("3 services")]
    magazzino, sede, archivio = services.splitlines()[1:]
    expected = ("S771", "rossi.magazzino", "2026-11-01 (in 30 days: soon)", "yes (card)", "850/1024 MB (83%: warning)")
    for cell in expected:
        assert cell in magazzino
    assert "active" in magazzino
    for cell in ("Sede\\x1b[2J", "2026-09-27 (5 days ago: expired)", "no", "suspended"):
        assert cell in sede  # the escape sequence is shown, never sent to the terminal
    assert "\x1b" not in out
    assert "2027-04-20 (in 200 days)" in archivio and "soon" not in archivio
    orders = out[out.index("ORDER") : out.index("3 orders")].splitlines()[1:]
    assert [row.split()[0] for row in orders] == ["ORD-2026-000004", "ORD-2026-000001", "ORD-2025-000031"]
    newest, cancelled, paid = orders
    # 22:30 UTC on 30 September is 00:30 on 1 October in the configured time zone (Europe/Rome)
    assert newest.split()[1:] == ["2026-10-01", "renewal", "6.00", "awaiting_payment", "-"]
    assert cancelled.split()[1:] == ["2026-01-15", "renewal", "122.00", "cancelled", "-"]
    assert paid.split()[1:] == ["2025-10-01", "renewal", "244.00", "paid", "2025/00031"]


def test_status_as_json(cli: Cli, account: str) -> None:
    code, out, _ = cli(account, "--json", "--date", TODAY.isoformat())
    view = json.loads(out)
    assert code == 0 and view["date"] == "2026-10-02"
    assert view["customer"]["external_id"] == "C777" and view["customer"]["kind"] == "company"
    assert view["customer"]["address"] == "Via Roma 1, 20121 Milano (MI)" and view["customer"]["split_payment"] is False
    first = view["services"][0]
    assert first == {
        "external_id": "S771",
        "label": "Magazzino",
        "username": "rossi.magazzino",
        "product": "Portale Impianti Business",
        "expires_on": "2026-11-01",
        "days_to_expiry": 30,
        "expiry_flag": "soon",
        "autorenew": True,
        "payment_method": "card",
        "storage_used_mb": 850,
        "storage_quota_mb": 1024,
        "storage_percent": 83,
        "storage_level": "warning",
        "status": "active",
    }
    assert view["services"][1]["label"] == "Sede\x1b[2J"  # JSON keeps the value, escaped (\u001b)
    assert "\x1b" not in out
    assert view["orders"][0] == {
        "number": "ORD-2026-000004",
        "type": "renewal",
        "date": "2026-10-01",
        "due": "6.00",
        "status": "awaiting_payment",
        "invoice": None,
    }
    assert view["orders"][2]["invoice"] == "2025/00031"


def test_status_of_a_customer_with_nothing_yet(cli: Cli, engine: Engine, account: str) -> None:
    code, out, _ = cli("C778")
    assert code == 0 and "0 services" in out and "0 orders" in out and "billing: none on file" in out


def test_status_of_nobody_is_one_line_and_exit_2(cli: Cli, account: str) -> None:
    code, out, err = cli("C999")
    assert code == 2 and out == ""
    assert err == "mailbot: error: no customer with id C999 (neither an external id nor a database id)\n"
    assert cli("C777", "--date", "2026-13-01")[0] == 2
