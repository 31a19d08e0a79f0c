"""Inbound mail through the real pipeline: a message as our receiving server hands it on (``eml``), stored
and processed (``deliver``, ``process_seeing_sql``), and what it answers (``outbound_to``, ``pa_order``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from mailbot.act.pipeline import Outcome, process_inbound, process_many
from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.db.models import Customer, InboundMessage, OutboundMessage, Service
from mailbot.domain import CustomerKind, OutboundStatus, PaymentMethod
from mailbot.intake.store import Origin, store_raw
from mailbot.outbound.outbox import Claim, NewMessage, enqueue
from mailbot.outbound.render import RenderedEmail
from mailbot.understand.rules import RuleSet
from tests.support.config import authenticated
from tests.support.factories import make_customer, make_order, make_service

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
PA_EMAIL = "ragioneria@comune.esempio.it"
VALID_CIG, BAD_CIG, OFFICE = "Z213346E34", "Z213346E35", "UFXK9T"
PA_BODY = (
    f"Buongiorno,\nCIG: {VALID_CIG}\nCodice univoco ufficio: {OFFICE}\nNome utente: comune.esempio\nCordiali saluti\n"
)


def eml(
    body: str,
    *,
    sender: str,
    to: str = "rinnovi@example.it",
    subject: str = "Re: Il Suo ordine",
    mid: str = "m1@client.example.org",
    in_reply_to: str | None = None,
    extra: str = "",
    auth: bool = True,
) -> bytes:
    """A message as our receiving server hands it on: with ``auth``, its DMARC check of the From passed."""
    thread = f"In-Reply-To: {in_reply_to}\nReferences: {in_reply_to}\n" if in_reply_to else ""
    stamp = authenticated(sender) if auth else ""
    return (
        f"{stamp}From: Mittente <{sender}>\nTo: {to}\nSubject: {subject}\nDate: Sat, 21 Nov 2026 09:00:00 +0100\n"
        f"Message-ID: <{mid}>\n{thread}{extra}MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
        f"Content-Transfer-Encoding: 8bit\n\n{body}"
    ).encode()


def deliver(app: App, raw: bytes, rules: RuleSet, now: datetime = NOW) -> Outcome:
    with transaction(app.sessions) as session:
        stored = store_raw(session, raw, Origin("pipe"), now=now, config=app.config)
    return process_inbound(app, stored.inbound_id, now, rules)


def process_seeing_sql(app: App, ids: list[int], rules: RuleSet) -> tuple[list[Outcome], list[tuple[str, bool]]]:
    """``process_many`` of ``ids``, and the SQL it sent: each statement (whitespace collapsed) and
    whether it went as an executemany."""
    statements: list[tuple[str, bool]] = []

    def seen(_conn: object, _cursor: object, sql: str, _params: object, _context: object, many: bool) -> None:
        statements.append((" ".join(sql.split()), many))

    event.listen(app.engine, "before_cursor_execute", seen)
    try:
        outcomes = process_many(app, ids, NOW, rules)
    finally:
        event.remove(app.engine, "before_cursor_execute", seen)
    return outcomes, statements


def rows(app: App) -> list[InboundMessage]:
    """The stored inbound messages, in the order they were stored."""
    with app.sessions() as session:
        return list(session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def outbound_to(app: App, customer_id: int, address: str, claims: tuple[Claim, ...] = (), key: str = "k1") -> Any:
    """An email we sent (as a reminder would be): its reply token and Message-ID."""
    with transaction(app.sessions) as session:
        message = NewMessage(
            key, "expiry_reminder", "it", address, RenderedEmail("s", "t", "<p>h</p>"), customer_id=customer_id
        )
        row = enqueue(session, message, mail=app.config.mail, now=NOW, claims=claims)
        assert row is not None
        row.status = OutboundStatus.SENT
        return row.reply_token, row.message_id, row.id


def pa_customer(session: Session) -> tuple[Customer, Service]:
    """The public administration of these tests (Comune di Esempio, PA_EMAIL, split payment) and its
    one service, ``comune.esempio``."""
    kind = CustomerKind.PUBLIC_ADMINISTRATION
    customer = make_customer(session, kind=kind, name="Comune di Esempio", email=PA_EMAIL, split_payment=True)
    return customer, make_service(session, customer, username="comune.esempio")


def pa_order(app: App) -> tuple[int, str, str]:
    """A public administration with an order awaiting payment: (order id, reply token, Message-ID) of
    the payment instructions it answers."""
    with transaction(app.sessions) as session:
        customer, service = pa_customer(session)
        order = make_order(session, app, customer, [service], now=NOW)
        row = session.scalars(select(OutboundMessage).where(OutboundMessage.order_id == order.id)).one()
        assert row.template == "payment_instructions"
        return order.id, row.reply_token, row.message_id


def autorenew_customer(app: App) -> tuple[int, int]:
    """A customer (anna@example.org) with one service renewed automatically by card: (customer id, service id)."""
    with transaction(app.sessions) as session:
        customer = make_customer(session, email="anna@example.org")
        service = make_service(
            session, customer, autorenew=True, payment_method=PaymentMethod.CARD, expires_on=date(2027, 3, 31)
        )
        return customer.id, service.id
