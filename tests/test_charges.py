"""Automatic renewals: the payment provider's charges applied on a real database.

A successful charge renews like a paid order (expiry moved, confirmation, invoice); a failed one asks
the customer to pay the renewal order another way, which then follows the unpaid-order path. A second
import of the same file does nothing; a bad file applies nothing and lists every bad row.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.billing.charges import ChargeReport, apply_charges, read_charges
from mailbot.db.engine import transaction
from mailbot.db.models import Order, OutboundMessage, Payment, Service, StatementLine, Ticket
from mailbot.domain import CustomerKind, OrderStatus, PaymentMethod, ServiceStatus
from mailbot.errors import InputError
from mailbot.orders import NewOrder, create_order
from mailbot.outbound.payments import run_payment_sweep
from mailbot.outbound.render import Renderer
from tests.support.factories import make_customer, make_service
from tests.test_invoices import ADDRESS, write_invoice_templates

NOW = datetime(2026, 12, 31, 9, 0, tzinfo=UTC)
HEADER = "service,date,amount,result,reference,reason\n"


@pytest.fixture
def capp(app: App, tmp_path: Path) -> App:
    return dataclasses.replace(app, renderer=write_charge_templates(tmp_path / "tpl"))


def write_charge_templates(root: Path) -> Renderer:
    renderer = write_invoice_templates(root)
    for lang in ("it", "en"):
        folder = root / "mail" / "charge_failed" / lang
        folder.mkdir(parents=True)
        (folder / "subject.txt").write_text("[charge_failed] {{ order.number }}\n", encoding="utf-8")
        (folder / "body.txt").write_text("{{ order.number }} {{ charge_failed }} {{ pay_link }}\n", encoding="utf-8")
        (folder / "body.html").write_text("<p>{{ order.number }}</p>\n", encoding="utf-8")
    return renderer


def _services(capp: App) -> tuple[str, str]:
    with transaction(capp.sessions) as session:
        customer = make_customer(session, kind=CustomerKind.PRIVATE, fiscal_code="RSSMRA80A01H501U", **ADDRESS)
        ok = make_service(session, customer, autorenew=True, payment_method=PaymentMethod.CARD)
        failed = make_service(session, customer, autorenew=True, payment_method=PaymentMethod.PAYPAL)
        return ok.external_id, failed.external_id


def _apply(capp: App, text: str) -> ChargeReport:
    rows = read_charges(text.encode(), "charges.csv")
    with transaction(capp.sessions) as session:
        return apply_charges(session, capp, rows, "charges.csv", now=NOW, actor="provider")


def test_a_charge_renews_and_a_failed_one_asks_to_pay(capp: App) -> None:
    ok, failed = _services(capp)
    csv = HEADER + f"{ok},2026-12-31,146.40,ok,ch_1,\n{failed},31/12/2026,146.40,failed,ch_2,card_declined\n"
    report = _apply(capp, csv)
    assert "1 renewed, 1 failed (customer asked to pay), 0 for staff, 0 already imported" in report.summary()
    with capp.sessions() as session:
        renewed = session.scalars(select(Service).where(Service.external_id == ok)).one()
        waiting = session.scalars(select(Service).where(Service.external_id == failed)).one()
        assert renewed.expires_on == date(2027, 12, 31) and waiting.expires_on == date(2026, 12, 31)
        orders = session.scalars(select(Order).order_by(Order.id)).all()
        assert [o.status for o in orders] == [OrderStatus.PAID, OrderStatus.AWAITING_PAYMENT]
        templates = session.scalars(select(OutboundMessage.template).order_by(OutboundMessage.id)).all()
        assert templates == ["payment_confirmation", "invoice", "charge_failed"]  # no payment instructions
        asked = session.scalars(select(OutboundMessage).where(OutboundMessage.template == "charge_failed")).one()
        assert "card_declined" in asked.body_text and orders[1].number in asked.body_text
        [payment] = session.scalars(select(Payment)).all()
        assert (payment.reference, payment.line_key) == ("ch_1", "charge:ch_1")
        lines = session.scalars(select(StatementLine.outcome).order_by(StatementLine.id)).all()
        assert lines == ["paid", "charge_failed"]
        assert waiting.autorenew is False and renewed.autorenew is True
    run_payment_sweep(capp, NOW)  # the failed charge's email stands as the order's instructions: nothing now
    run_payment_sweep(capp, NOW + timedelta(days=3))  # then the usual reminders
    with capp.sessions() as session:
        query = (
            select(OutboundMessage.template)
            .where(OutboundMessage.order_id == orders[1].id)
            .order_by(OutboundMessage.id)
        )
        assert session.scalars(query).all() == ["charge_failed", "payment_reminder"]
    again = _apply(capp, csv)
    assert again.already == 2 and not again.renewed and not again.failed
    with capp.sessions() as session:
        assert len(session.scalars(select(Order)).all()) == 2


def test_a_charge_of_another_amount_goes_to_staff(capp: App) -> None:
    ok, _ = _services(capp)
    report = _apply(capp, HEADER + f"{ok},2026-12-31,100.00,ok,ch_9,\n")
    assert report.for_staff and not report.renewed


def test_a_bad_file_applies_nothing_and_lists_every_bad_row(capp: App) -> None:
    ok, _ = _services(capp)
    csv = HEADER + f"{ok},2026-13-01,abc,maybe,ch_1,\n,2026-12-31,1,ok,ch_1,\n"
    with pytest.raises(InputError) as caught:
        read_charges(csv.encode(), "charges.csv")
    message = str(caught.value)
    for expected in (
        "line 2: date:",
        "line 2: amount:",
        "line 2: result: expected ok or failed",
        "line 3: service: required",
    ):
        assert expected in message
    with pytest.raises(InputError, match="no service 'S-NONE'"):
        _apply(capp, HEADER + "S-NONE,2026-12-31,1,ok,ch_5,\n")
    with capp.sessions() as session:
        assert session.scalars(select(Order)).all() == []


def test_cli_charges(capp: App, config_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mailbot.cli import main

    ok, failed = _services(capp)
    path = tmp_path / "charges.csv"
    path.write_text(HEADER + f"{ok},2026-12-31,146.40,ok,ch_1,\n{failed},2026-12-31,146.40,failed,ch_2,expired\n")
    base = ["--config", str(config_file), "payments", "charges", str(path)]
    assert main([*base, "--dry-run"]) == 0
    assert "dry run, nothing written" in capsys.readouterr().out
    with capp.sessions() as session:
        assert session.scalars(select(Order)).all() == []
    assert main(base) == 0
    out = capsys.readouterr().out
    assert "charged, order completed" in out and "charge failed, customer asked to pay" in out
    assert main(base) == 0
    assert "2 already imported" in capsys.readouterr().out


def test_a_charge_pays_the_open_order_and_one_for_a_suspended_service_goes_to_staff(capp: App) -> None:
    ok, failed = _services(capp)
    with transaction(capp.sessions) as session:
        service = session.scalars(select(Service).where(Service.external_id == ok)).one()
        waiting = create_order(session, capp, NewOrder(service.customer, [service], 1, PaymentMethod.CARD), now=NOW)
        session.scalars(select(Service).where(Service.external_id == failed)).one().status = ServiceStatus.SUSPENDED
    csv = HEADER + f"{failed},2026-12-31,146.40,ok,ch_7,\n{ok},2026-12-31,146.40,ok,ch_8,\n"
    report = _apply(capp, csv)
    assert report.renewed == [waiting.number] and report.refused == [failed]
    assert "1 renewed, 0 failed (customer asked to pay), 1 for staff" in report.summary()
    with capp.sessions() as session:
        assert [o.status for o in session.scalars(select(Order))] == [OrderStatus.PAID]  # no second order
        [ticket] = session.scalars(select(Ticket)).all()
        assert "ch_7" in ticket.summary and "a new purchase is needed" in ticket.summary
        assert session.scalars(select(StatementLine.outcome).order_by(StatementLine.id)).all() == ["refused", "paid"]
