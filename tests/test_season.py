"""A renewal season, end to end on a real database: the reminder, the public administration's reply with
its codes, the electronic invoice (valid against the official schema), the bank statement that pays it,
the expiry moved and the customer told. Each step is the product's own path, nothing stubbed.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from mailbot.app import App
from mailbot.billing.fatturapa_schema import schema_errors
from mailbot.billing.invoices import run_invoicing
from mailbot.billing.statement_import import import_statement
from mailbot.db.engine import transaction
from mailbot.db.models import Invoice, Order, OutboundMessage, Service, Ticket
from mailbot.demo_data import camt053_credit
from mailbot.domain import InboundStatus, InvoiceStatus, OrderStatus
from mailbot.outbound.sweep import run_reminder_sweep
from mailbot.paths import rules_dir
from mailbot.understand.rules import load_rules
from tests.support.factories import make_customer, make_service
from tests.support.inbound import OFFICE, PA_EMAIL, VALID_CIG, deliver, eml

REMINDED = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)  # 40 days before the service's expiry
REPLIED = REMINDED + timedelta(hours=3)
PAID = datetime(2026, 12, 15, 21, 0, tzinfo=UTC)
SHARED_SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "standards" / "fatturapa"


def split_until(app: App, day: date) -> App:
    payments = dataclasses.replace(app.config.payments, split_payment_valid_until=day)
    return dataclasses.replace(app, config=dataclasses.replace(app.config, payments=payments))


def statement(number: str, euros: Decimal) -> bytes:
    """The provider's bank statement of 15 December: the administration's transfer for ``number``."""
    remittance = f"Mandato 4411 - saldo fattura ordine {number} CIG {VALID_CIG}"
    return camt053_credit(date(2026, 12, 15), euros, "COMUNE DI ESEMPIO", remittance, "1215SEASON0001")


def test_a_renewal_season(app: App) -> None:
    app = split_until(app, date(2027, 6, 30))
    with transaction(app.sessions) as session:
        pa = make_customer(
            session,
            kind="pa",
            name="Comune di Esempio",
            email=PA_EMAIL,
            split_payment=True,
            fiscal_code="80012340586",
            street="Piazza Municipio 1",
            postcode="20121",
            city="Milano",
            province="MI",
        )
        service = make_service(session, pa, username="comune.esempio", expires_on=date(2026, 12, 31))
        customer_id, service_id = pa.id, service.id

    # 1. The reminder goes out.
    run_reminder_sweep(app, REMINDED)
    with app.sessions() as session:
        reminder = session.scalars(select(OutboundMessage).where(OutboundMessage.customer_id == customer_id)).one()
        assert reminder.template == "expiry_reminder"
        token = reminder.reply_token

    # 2. The administration answers it from its address on file: renew for a year by transfer, with its codes.
    body = (
        "Buongiorno,\nrinnovate per un anno con bonifico; "
        f"CIG {VALID_CIG}, codice univoco ufficio {OFFICE}, username comune.esempio\nCordiali saluti\n"
    )
    raw = eml(body, sender=PA_EMAIL, to=f"rinnovi+{token}@example.it", subject=f"Re: {reminder.subject}")
    assert deliver(app, raw, load_rules(rules_dir()), now=REPLIED).status == InboundStatus.PROCESSED
    with app.sessions() as session:
        order = session.scalars(select(Order).where(Order.customer_id == customer_id)).one()
        assert (order.cig, order.office_code, order.pa_username, order.split_payment) == (
            VALID_CIG,
            OFFICE,
            "comune.esempio",
            True,
        )
        number, net_cents, fee_cents, due_cents = order.number, order.net_cents, order.fee_cents, order.due_cents

    # 3. Its electronic invoice is issued before payment: FPA12, split payment, valid against the schema.
    assert run_invoicing(app, REPLIED + timedelta(hours=1)).issued == ["2026/00001"]
    with app.sessions() as session:
        invoice = session.scalars(select(Invoice)).one()
        xml = (app.config.path(app.config.invoicing.sdi_dir) / str(invoice.sdi_file)).read_bytes()
    assert schema_errors(xml) == []
    if SHARED_SCHEMA.exists():
        assert schema_errors(xml, SHARED_SCHEMA) == []
    for part in (b"FPA12", OFFICE.encode(), VALID_CIG.encode(), b"<EsigibilitaIVA>S</EsigibilitaIVA>", number.encode()):
        assert part in xml
    assert due_cents == net_cents + fee_cents  # split payment: the administration pays the net amount, no VAT

    # 4. The transfer comes in on the bank statement: the net amount pays the order in full.
    with transaction(app.sessions) as session:
        report = import_statement(
            session, app, statement(number, Decimal(due_cents) / 100), "bank.xml", now=PAID, actor="anna"
        )
    assert "1 paid" in report.summary()

    # 5. The order is paid, the service runs a year more, the administration is told; one invoice only.
    with app.sessions() as session:
        assert session.get_one(Order, order.id).status == OrderStatus.PAID
        assert session.get_one(Service, service_id).expires_on == date(2027, 12, 31)
        templates = session.scalars(
            select(OutboundMessage.template)
            .where(OutboundMessage.customer_id == customer_id)
            .order_by(OutboundMessage.id)
        ).all()
        assert templates == [
            "expiry_reminder",
            "payment_instructions",
            "reply_pa_details",
            "invoice",
            "payment_confirmation",
        ]
        confirmation = session.scalars(
            select(OutboundMessage).where(OutboundMessage.template == "payment_confirmation")
        ).one()
        assert "31 dicembre 2027" in confirmation.body_text
        assert [i.status for i in session.scalars(select(Invoice))] == [InvoiceStatus.ISSUED]
        assert session.scalars(select(Ticket)).all() == []
    # Importing the same statement again changes nothing.
    with transaction(app.sessions) as session:
        again = import_statement(
            session, app, statement(number, Decimal(due_cents) / 100), "bank.xml", now=PAID, actor="anna"
        )
    assert "1 already imported" in again.summary()
