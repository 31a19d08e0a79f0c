"""Invoices: the document of an order (pure), and issuing them on a real database.

One invoice per paid order, numbered per year without gaps; a card's or PayPal's issued with the payment,
a bank transfer's some days later; a public administration's issued before payment once its codes are
complete, its order then never cancelled as unpaid. Every XML written is valid against the official
schema; an invoice that cannot be built waits for staff with one ticket, and the payment stands.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.billing.fatturapa_schema import schema_errors
from mailbot.billing.fatturapa_values import invoice_totals
from mailbot.billing.invoice_doc import ABROAD, NO_CODE, Charge, Numbering, OrderFacts, invoice_document
from mailbot.billing.invoices import run_invoicing, seller_of
from mailbot.billing.payments import PaymentIn, record_payment
from mailbot.config import InvoicingConfig
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent, Customer, Invoice, InvoiceCounter, Order, OutboundMessage, Ticket
from mailbot.domain import (
    CustomerFacts,
    CustomerKind,
    InvoiceStatus,
    OrderStatus,
    OrderType,
    PaymentMethod,
    PaymentSource,
)
from mailbot.errors import InputError
from mailbot.orders import NewOrder, create_order
from mailbot.outbound.payments import run_payment_sweep
from mailbot.outbound.render import Renderer
from tests.support.factories import make_customer, make_service
from tests.support.templates import write_payment_templates

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ADDRESS = {"street": "Via Roma 1", "postcode": "20121", "city": "Milano", "province": "MI"}
SHARED_SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "standards" / "fatturapa"


# -- the document (pure) --------------------------------------------------------------------------


def buyer(kind: CustomerKind = CustomerKind.COMPANY, **kw: object) -> CustomerFacts:
    values: dict[str, object] = {
        "kind": kind,
        "external_id": "C1",
        "name": "Rossi S.r.l.",
        "email": "amministrazione@rossi.example.org",
        "language": "it",
        "vat_number": "01234560157",
        "fiscal_code": None,
        "pec": None,
        "recipient_code": "M5UXCR1",
        "street": "Via Roma 1",
        "postcode": "20121",
        "city": "Milano",
        "province": "MI",
        "country": "IT",
        "split_payment": kind == CustomerKind.PUBLIC_ADMINISTRATION,
    }
    values.update(kw)
    return CustomerFacts(**values)  # type: ignore[arg-type]


def facts(b: CustomerFacts, **kw: object) -> OrderFacts:
    values: dict[str, object] = {
        "number": "ORD-2026-000001",
        "type": OrderType.RENEWAL,
        "years": 2,
        "charges": (
            Charge("Portale", "Magazzino", "rossi.magazzino", 12000),
            Charge("Archivio", "Contratti", "rossi.archivio", 5000),
        ),
        "fee_cents": 0,
        "total_cents": 41480,  # (120 + 50) x 2 = 340.00 + 22 % = 414.80
        "split_payment": False,
        "cig": None,
        "cup": None,
        "office_code": None,
        "buyer": b,
    }
    values.update(kw)
    return OrderFacts(**values)  # type: ignore[arg-type]


def test_an_order_becomes_its_lines_and_comes_to_its_total() -> None:
    doc = invoice_document(
        facts(buyer()),
        seller_of(InvoicingConfig()),
        Numbering("2026/00001", date(2026, 11, 2), "1"),
        vat_rate=Decimal(22),
    )
    assert [(line.quantity, line.unit_price) for line in doc.lines] == [
        (Decimal(2), Decimal("120.00")),
        (Decimal(2), Decimal("50.00")),
    ]
    assert doc.lines[0].description == "Rinnovo Portale - Magazzino (rossi.magazzino), 2 anni"
    totals = invoice_totals(doc)
    assert (totals.net, totals.vat, totals.total) == (Decimal("340.00"), Decimal("74.80"), Decimal("414.80"))
    assert doc.buyer.recipient_code == "M5UXCR1" and not doc.buyer.public_administration


@pytest.mark.parametrize(
    ("b", "code", "pec", "is_pa"),
    [
        (buyer(recipient_code=None, pec="rossi@pec.example.it"), NO_CODE, "rossi@pec.example.it", False),
        (
            buyer(CustomerKind.PRIVATE, vat_number=None, fiscal_code="RSSMRA80A01H501U", recipient_code=None),
            NO_CODE,
            None,
            False,
        ),
        (
            buyer(country="DE", postcode="80331", city="München", province=None, recipient_code=None),
            ABROAD,
            None,
            False,
        ),
        (buyer(CustomerKind.PUBLIC_ADMINISTRATION, recipient_code="UFXK9T"), "UFXK9T", None, True),
    ],
)
def test_whom_the_electronic_invoice_goes_to(b: CustomerFacts, code: str, pec: str | None, is_pa: bool) -> None:
    order = facts(b, cig="Z213346E34" if is_pa else None)
    doc = invoice_document(
        order, seller_of(InvoicingConfig()), Numbering("1", date(2026, 11, 2), "1"), vat_rate=Decimal(22)
    )
    assert (doc.buyer.recipient_code, doc.buyer.pec, doc.buyer.public_administration) == (code, pec, is_pa)


def test_the_order_s_office_code_wins_for_a_public_administration() -> None:
    order = facts(
        buyer(CustomerKind.PUBLIC_ADMINISTRATION, recipient_code="UFAAAA"), office_code="UFXK9T", cig="Z213346E34"
    )
    doc = invoice_document(
        order, seller_of(InvoicingConfig()), Numbering("1", date(2026, 11, 2), "1"), vat_rate=Decimal(22)
    )
    assert doc.buyer.recipient_code == "UFXK9T" and doc.cig == ("Z213346E34",)


def test_no_billing_address_no_invoice() -> None:
    with pytest.raises(InputError, match=r"customer C1: no billing address \(street, postcode missing\)"):
        invoice_document(
            facts(buyer(street=None, postcode="")),
            seller_of(InvoicingConfig()),
            Numbering("1", date(2026, 11, 2), "1"),
            vat_rate=Decimal(22),
        )


# -- issuing on the database ----------------------------------------------------------------------


@pytest.fixture
def iapp(app: App, tmp_path: Path) -> App:
    return dataclasses.replace(app, renderer=write_invoice_templates(tmp_path / "tpl"))


def write_invoice_templates(root: Path) -> Renderer:
    renderer = write_payment_templates(root)
    for lang in ("it", "en"):
        folder = root / "mail" / "invoice" / lang
        folder.mkdir(parents=True)
        (folder / "subject.txt").write_text("[invoice] {{ invoice.number }}\n", encoding="utf-8")
        body = "{{ invoice.number }} {{ invoice.total }} paid={{ invoice.paid }} due_on={{ invoice.payment_due_on }}\n"
        (folder / "body.txt").write_text(body, encoding="utf-8")
        (folder / "body.html").write_text("<p>" + body + "</p>\n", encoding="utf-8")
        folder = root / "mail" / "invoice_reminder" / lang
        folder.mkdir(parents=True)
        (folder / "subject.txt").write_text("[reminder {{ reminder_number }}] {{ invoice.number }}\n", encoding="utf-8")
        (folder / "body.txt").write_text("{{ invoice.number }} due {{ invoice.payment_due_on }}\n", encoding="utf-8")
        (folder / "body.html").write_text("<p>{{ invoice.number }}</p>\n", encoding="utf-8")
    return renderer


def _customer(session: Session, kind: CustomerKind = CustomerKind.COMPANY, **kw: object) -> Customer:
    values: dict[str, object] = {"vat_number": "01234560157", "recipient_code": "M5UXCR1", **ADDRESS}
    if kind == CustomerKind.PUBLIC_ADMINISTRATION:
        values.update(vat_number=None, fiscal_code="80012340586", recipient_code="UFXK9T", split_payment=True)
    values.update(kw)
    return make_customer(session, kind=kind, **values)


def _pay(session: Session, app: App, order: Order, day: date, now: datetime) -> None:
    payment = PaymentIn(order.due_cents, order.payment_method, day, PaymentSource.STAFF, None)
    record_payment(session, app, order, payment, now=now, actor="staff:anna")


def _invoice(session: Session, order: Order) -> Invoice:
    return session.scalars(select(Invoice).where(Invoice.order_id == order.id)).one()


def _xml(app: App, invoice: Invoice) -> bytes:
    assert invoice.sdi_file is not None
    return (app.config.path(app.config.invoicing.sdi_dir) / invoice.sdi_file).read_bytes()


def test_a_card_payment_is_invoiced_at_once(iapp: App) -> None:
    with transaction(iapp.sessions) as session:
        customer = _customer(session)
        order = create_order(
            session, iapp, NewOrder(customer, [make_service(session, customer)], 2, PaymentMethod.CARD), now=NOW
        )
        _pay(session, iapp, order, NOW.date(), NOW)
    with iapp.sessions() as session:
        invoice = _invoice(session, order)
        assert (invoice.status, invoice.number, invoice.issued_on) == (InvoiceStatus.ISSUED, "2026/00001", NOW.date())
        assert invoice.sdi_file == "IT01234560157_00001.xml"
        xml = _xml(iapp, invoice)
        assert schema_errors(xml) == []
        if SHARED_SCHEMA.exists():
            assert schema_errors(xml, SHARED_SCHEMA) == []
        assert b"<FormatoTrasmissione>FPR12</FormatoTrasmissione>" in xml and b"M5UXCR1" in xml
        [mail] = session.scalars(select(OutboundMessage).where(OutboundMessage.template == "invoice")).all()
        assert mail.body_text.startswith("2026/00001 292.80 paid=True")
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "invoice.issued")).one()
        assert event.details["invoice"] == "2026/00001"


def test_a_bank_transfer_is_invoiced_days_later_and_numbers_have_no_gaps(iapp: App) -> None:
    with transaction(iapp.sessions) as session:
        customer = _customer(session)
        orders = [
            create_order(session, iapp, NewOrder(customer, [make_service(session, customer)], 1, method), now=NOW)
            for method in (PaymentMethod.BANK_TRANSFER, PaymentMethod.PAYPAL)
        ]
        _pay(session, iapp, orders[0], NOW.date(), NOW)
        assert _invoice(session, orders[0]).issue_on == NOW.date() + timedelta(days=2)
    assert run_invoicing(iapp, NOW + timedelta(days=1)).issued == []
    with transaction(iapp.sessions) as session:
        _pay(session, iapp, session.get(Order, orders[1].id), NOW.date(), NOW + timedelta(days=1))  # type: ignore[arg-type]
    assert run_invoicing(iapp, NOW + timedelta(days=2)).issued == ["2026/00002"]
    assert run_invoicing(iapp, NOW + timedelta(days=3)).issued == []  # nothing twice
    with iapp.sessions() as session:
        numbers = [_invoice(session, o).number for o in orders]
    assert numbers == ["2026/00002", "2026/00001"]  # PayPal's went out first, at once


def test_numbers_start_again_each_year(iapp: App) -> None:
    new_year = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    with transaction(iapp.sessions) as session:
        customer = _customer(session)
        for when in (NOW, new_year):
            order = create_order(
                session, iapp, NewOrder(customer, [make_service(session, customer)], 1, PaymentMethod.CARD), now=when
            )
            _pay(session, iapp, order, when.date(), when)
        assert session.scalars(select(Invoice.number).order_by(Invoice.id)).all() == ["2026/00001", "2027/00001"]


def test_an_invoice_that_cannot_be_built_waits_for_staff_and_the_payment_stands(iapp: App) -> None:
    with transaction(iapp.sessions) as session:
        customer = _customer(session, street=None)
        order = create_order(
            session, iapp, NewOrder(customer, [make_service(session, customer)], 1, PaymentMethod.CARD), now=NOW
        )
        _pay(session, iapp, order, NOW.date(), NOW)
    assert run_invoicing(iapp, NOW + timedelta(days=1)).blocked == 1
    with iapp.sessions() as session:
        assert session.get(Order, order.id).status == OrderStatus.PAID  # type: ignore[union-attr]
        invoice = _invoice(session, order)
        assert (invoice.status, invoice.number) == (InvoiceStatus.SCHEDULED, None)
        [ticket] = session.scalars(select(Ticket)).all()
        assert "no billing address (street missing)" in ticket.summary
        assert session.scalar(select(InvoiceCounter.last)) is None
    with transaction(iapp.sessions) as session:
        session.get(Customer, customer.id).street = "Via Roma 1"  # type: ignore[union-attr]
    assert run_invoicing(iapp, NOW + timedelta(days=2)).issued == ["2026/00001"]  # no number was used up


def split_until(app: App, day: date) -> App:
    payments = dataclasses.replace(app.config.payments, split_payment_valid_until=day)
    return dataclasses.replace(app, config=dataclasses.replace(app.config, payments=payments))


def test_a_public_administration_is_invoiced_before_payment_and_its_order_waits(iapp: App) -> None:
    iapp = split_until(iapp, date(2027, 6, 30))
    with transaction(iapp.sessions) as session:
        pa = _customer(session, CustomerKind.PUBLIC_ADMINISTRATION)
        order = create_order(
            session, iapp, NewOrder(pa, [make_service(session, pa)], 1, PaymentMethod.BANK_TRANSFER), now=NOW
        )
    assert run_invoicing(iapp, NOW).scheduled == 0  # CIG and username still missing
    with transaction(iapp.sessions) as session:
        stored = session.get(Order, order.id)
        assert stored is not None
        stored.cig, stored.pa_username = "Z213346E34", "comune.esempio"
    run = run_invoicing(iapp, NOW + timedelta(days=1))
    assert (run.scheduled, run.issued) == (1, ["2026/00001"])
    with iapp.sessions() as session:
        invoice = _invoice(session, order)
        assert invoice.payment_due_on == NOW.date() + timedelta(days=61)
        xml = _xml(iapp, invoice)
        assert schema_errors(xml) == []
        assert b"FPA12" in xml and b"<EsigibilitaIVA>S</EsigibilitaIVA>" in xml and b"Z213346E34" in xml
        assert b"<ModalitaPagamento>MP05</ModalitaPagamento>" in xml
    run_payment_sweep(iapp, NOW + timedelta(days=40))  # past the 30 days an unpaid order is kept
    with transaction(iapp.sessions) as session:
        stored = session.get(Order, order.id)
        assert stored is not None and stored.status == OrderStatus.AWAITING_PAYMENT
        _pay(session, iapp, stored, NOW.date() + timedelta(days=45), NOW + timedelta(days=45))
        assert session.scalar(select(Order.status).where(Order.id == order.id)) == OrderStatus.PAID
        assert len(session.scalars(select(Invoice)).all()) == 1  # paid against the invoice already out


def test_cli_list_and_issue(app: App, config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mailbot.cli import main

    with transaction(app.sessions) as session:
        customer = _customer(session)
        order = create_order(
            session, app, NewOrder(customer, [make_service(session, customer)], 1, PaymentMethod.BANK_TRANSFER), now=NOW
        )
        _pay(session, app, order, NOW.date(), NOW)
    base = ["--config", str(config_file), "invoices"]
    assert main([*base, "list"]) == 0
    out = capsys.readouterr().out
    assert "scheduled" in out and order.number in out and "1 invoice" in out
    assert main([*base, "issue", "--now", "2026-11-04T10:00+01:00"]) == 0
    assert "invoice 2026/00001 issued" in capsys.readouterr().out
    assert main([*base, "list", "--status", "issued"]) == 0
    assert "IT01234560157_00001.xml" in capsys.readouterr().out
    assert main([*base, "issue", "--now", "yesterday"]) == 2
    assert "--now: expected an ISO 8601 instant" in capsys.readouterr().err


def test_split_payment_ends_with_its_authorisation(iapp: App) -> None:
    ended = split_until(iapp, date(2026, 11, 1))
    with transaction(ended.sessions) as session:
        pa = _customer(session, CustomerKind.PUBLIC_ADMINISTRATION)
        order = create_order(
            session, ended, NewOrder(pa, [make_service(session, pa)], 1, PaymentMethod.BANK_TRANSFER), now=NOW
        )
        order.cig, order.pa_username = "Z213346E34", "comune.esempio"
    assert run_invoicing(ended, NOW).issued == ["2026/00001"]
    with ended.sessions() as session:
        xml = _xml(ended, _invoice(session, order))
    assert b"<EsigibilitaIVA>I</EsigibilitaIVA>" in xml and b"FPA12" in xml


def test_an_invoice_unpaid_after_its_due_date_is_recalled_citing_it(iapp: App) -> None:
    with transaction(iapp.sessions) as session:
        pa = _customer(session, CustomerKind.PUBLIC_ADMINISTRATION)
        order = create_order(
            session, iapp, NewOrder(pa, [make_service(session, pa)], 1, PaymentMethod.BANK_TRANSFER), now=NOW
        )
        order.cig, order.pa_username = "Z213346E34", "comune.esempio"
    assert run_invoicing(iapp, NOW).issued == ["2026/00001"]  # due 60 days later: 1 January 2027
    due = date(2027, 1, 1)

    def reminders() -> list[str]:
        with iapp.sessions() as session:
            query = select(OutboundMessage.idempotency_key).where(OutboundMessage.template == "invoice_reminder")
            return sorted(session.scalars(query))

    def at(day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)

    assert run_invoicing(iapp, at(due)).reminded == 0  # due today: not late yet
    assert run_invoicing(iapp, at(due + timedelta(days=1))).reminded == 1
    assert run_invoicing(iapp, at(due + timedelta(days=2))).reminded == 0  # once
    assert run_invoicing(iapp, at(due + timedelta(days=40))).reminded == 1  # a missed run: the latest step only
    assert reminders() == [f"order:{order.id}:invoice_reminder_1", f"order:{order.id}:invoice_reminder_3"]
    with iapp.sessions() as session:
        mail = session.scalars(select(OutboundMessage).where(OutboundMessage.template == "invoice_reminder")).first()
        assert mail is not None and "2026/00001" in mail.subject and "due 1 days ago" in mail.reason
    with transaction(iapp.sessions) as session:
        stored = session.get(Order, order.id)
        assert stored is not None
        _pay(session, iapp, stored, due + timedelta(days=41), at(due + timedelta(days=41)))
    assert run_invoicing(iapp, at(due + timedelta(days=70))).reminded == 0  # paid: no more
