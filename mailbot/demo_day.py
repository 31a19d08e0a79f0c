"""What comes in on the demo day besides the sweeps: a public administration's reply with its codes, and
the evening's bank statement. Each goes the product's own way (the intake and the pipeline; the
statement import) and says in one line what became of it, for the demo's report.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import select

from mailbot.act.pipeline import process_inbound
from mailbot.act.tickets import approve_ticket
from mailbot.app import App
from mailbot.billing.statement_import import import_statement
from mailbot.db.engine import transaction
from mailbot.db.models import Customer, Order, OutboundMessage, Ticket
from mailbot.demo_data import PA_REPLY_FROM, STATEMENT_PAYS, camt053_credit
from mailbot.domain import InboundStatus
from mailbot.intake.store import Origin, store_raw
from mailbot.paths import rules_dir
from mailbot.understand.rules import load_rules


def pa_reply(app: App, now: datetime) -> str:
    """The administration answers its payment instructions with the CIG and the username."""
    with app.sessions() as session:
        customer = session.scalars(select(Customer).where(Customer.name == PA_REPLY_FROM)).one()
        order = session.scalars(select(Order).where(Order.customer_id == customer.id)).one()
        instructions = session.scalars(
            select(OutboundMessage).where(OutboundMessage.order_id == order.id).order_by(OutboundMessage.id)
        ).first()
        assert instructions is not None
        message = EmailMessage()
        message["From"] = customer.email
        message["To"] = app.config.mail.reply_to.replace("{token}", instructions.reply_token)
        message["Subject"] = f"R: {instructions.subject}"
        message["Date"] = format_datetime(now)
        message["Message-ID"] = make_msgid(domain="asl.example.org")
        message["In-Reply-To"] = instructions.message_id
        message.set_content(
            "Buongiorno,\nper la fattura elettronica vi comunichiamo i dati richiesti.\nCIG: Z213346E34\n"
            f"Nome utente: {order.services[0].username}\nCordiali saluti\nUfficio Economato\n"
        )
    with transaction(app.sessions) as session:
        stored = store_raw(session, message.as_bytes(), Origin("pipe"), now=now, config=app.config)
    outcome = process_inbound(app, stored.inbound_id, now, load_rules(rules_dir()))
    said = f"reply from {customer.email} with its CIG and username: {outcome.status.value}"
    if outcome.status != InboundStatus.REVIEW:
        return said
    # Its sender cannot be verified here (no Authentication-Results): the codes wait for staff, who approve.
    with transaction(app.sessions) as session:
        ticket = session.scalars(select(Ticket).where(Ticket.inbound_id == stored.inbound_id)).one()
        approve_ticket(session, app, ticket.id, "staff:demo", now)
    return f"{said}, request {ticket.id} approved by staff: the codes are on order {order.number}"


def evening_statement(app: App, now: datetime) -> str:
    """The bank statement of the day: one customer's transfer for its order, matched by the order number."""
    with app.sessions() as session:
        customer = session.scalars(select(Customer).where(Customer.name == STATEMENT_PAYS)).one()
        order = session.scalars(select(Order).where(Order.customer_id == customer.id)).one()
        day = now.astimezone(app.config.tz).date()
        euros = (Decimal(order.due_cents) / 100).quantize(Decimal("0.01"))
        remittance = f"Rinnovo servizio - ordine {order.number}"
        data = camt053_credit(day, euros, customer.name.upper(), remittance, "DEMO-CRO-1")
    with transaction(app.sessions) as session:
        report = import_statement(session, app, data, "demo-statement.xml", now=now, actor="demo")
    return f"bank statement demo-statement.xml: {report.summary()}"
