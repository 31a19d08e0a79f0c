"""Acting on inbound mail, end to end through the real pipeline: a raw message stored with
``store_raw``, processed by ``process_inbound``, then the database and the outbox checked."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mailbot.act import pipeline
from mailbot.act.pipeline import process_inbound
from mailbot.act.tickets import TicketError, approve_ticket, close_ticket
from mailbot.app import App, create_app
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent, Customer, InboundMessage, Order, OutboundMessage, Service, Ticket
from mailbot.domain import (
    CustomerKind,
    InboundStatus,
    OrderStatus,
    OutboundStatus,
    PaymentMethod,
    TicketKind,
    TicketStatus,
)
from mailbot.intake.store import load_raw
from mailbot.outbound.compose import build_message
from mailbot.outbound.context import REPLY_TEMPLATES
from mailbot.outbound.outbox import Claim
from mailbot.understand.rules import RuleSet
from tests.support.config import make_config
from tests.support.factories import make_customer, make_order, make_product, make_service
from tests.support.inbound import (
    BAD_CIG,
    NOW,
    OFFICE,
    PA_BODY,
    PA_EMAIL,
    VALID_CIG,
    autorenew_customer,
    deliver,
    eml,
    outbound_to,
    pa_order,
)

CORPUS = Path(__file__).parent / "corpus"


def replies(session: Session) -> list[OutboundMessage]:
    query = select(OutboundMessage).where(OutboundMessage.template.in_(REPLY_TEMPLATES)).order_by(OutboundMessage.id)
    return list(session.scalars(query))


def tickets(session: Session) -> list[Ticket]:
    return list(session.scalars(select(Ticket).order_by(Ticket.id)))


# Public administrations ------------------------------------------------------------------------


def test_pa_details_from_the_customer_applied_and_confirmed(app: App, rules: RuleSet) -> None:
    order_id, token, their_mid = pa_order(app)
    raw = eml(
        PA_BODY, sender=PA_EMAIL, to=f"rinnovi+{token}@example.it", mid="pa1@comune.esempio.it", in_reply_to=their_mid
    )
    outcome = deliver(app, raw, rules)
    assert outcome.status == InboundStatus.PROCESSED and outcome.folder == app.config.imap.processed_folder
    with app.sessions() as session:
        order = session.get_one(Order, order_id)
        assert (order.cig, order.office_code, order.pa_username) == (VALID_CIG, OFFICE, "comune.esempio")
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "order.pa_details")).one()
        assert event.message_ref == "pa1@comune.esempio.it" and event.actor == "mailbot"
        assert tickets(session) == []
        [reply] = replies(session)
        assert reply.template == "reply_pa_details" and reply.to_address == PA_EMAIL
        assert reply.order_id == order_id and reply.subject == "Re: Il Suo ordine"
        for value in (VALID_CIG, OFFICE, "comune.esempio", order.number, "Abbiamo tutti i dati necessari"):
            assert value in reply.body_text
        message = build_message(reply, app.config.mail, NOW)
        assert message["In-Reply-To"] == "<pa1@comune.esempio.it>"
        assert "<pa1@comune.esempio.it>" in str(message["References"])
        assert message["Auto-Submitted"] == "auto-replied" and message["X-Auto-Response-Suppress"] == "All"
        inbound = session.scalars(select(InboundMessage)).one()
        assert inbound.verified_sender and inbound.understanding["actions"]["replies"] == 1


def test_pa_details_from_another_address_wait_for_staff_then_approved(app: App, rules: RuleSet) -> None:
    order_id, token, _ = pa_order(app)
    raw = eml(PA_BODY, sender="economato@comune.esempio.it", to=f"rinnovi+{token}@example.it")
    outcome = deliver(app, raw, rules)
    assert outcome.status == InboundStatus.REVIEW and outcome.folder == app.config.imap.review_folder
    with app.sessions() as session:
        order = session.get_one(Order, order_id)
        assert order.cig is None and order.office_code is None  # nothing changed
        [ticket] = tickets(session)
        assert ticket.kind == TicketKind.REQUEST and ticket.intent == "pa_billing_details"
        assert ticket.details["change"] == {
            "order_id": order_id,
            "set": {"cig": VALID_CIG, "office_code": OFFICE, "pa_username": "comune.esempio"},
        }
        assert any("not verified" in r for r in ticket.details["why_not_automatic"])
        [reply] = replies(session)
        assert reply.to_address == "economato@comune.esempio.it"
        assert f"n. {ticket.id}" in reply.body_text and VALID_CIG in reply.body_text
        assert order.number not in reply.body_text  # order details only go to the customer's own address
    with transaction(app.sessions) as session:
        approve_ticket(session, app, ticket.id, "anna", NOW)
    with app.sessions() as session:
        order = session.get_one(Order, order_id)
        assert (order.cig, order.office_code, order.pa_username) == (VALID_CIG, OFFICE, "comune.esempio")
        assert session.get_one(Ticket, ticket.id).status == TicketStatus.APPROVED
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "order.pa_details")).one()
        assert event.actor == "anna" and event.message_ref == "m1@client.example.org"
        # its only ticket settled, the message no longer waits for a person
        assert session.get_one(InboundMessage, outcome.inbound_id).status == InboundStatus.PROCESSED
        # the person who wrote is told it is done, threaded under their message, once
        first, confirmation = replies(session)
        assert confirmation.idempotency_key == f"approved:{ticket.id}"
        assert confirmation.to_address == "economato@comune.esempio.it"
        assert confirmation.details["in_reply_to"] == "<m1@client.example.org>"
        assert VALID_CIG in confirmation.body_text and confirmation.body_text != first.body_text
        assert order.number not in confirmation.body_text  # still not the customer's own address
        assert "registrati sul Suo ordine in attesa di pagamento" in confirmation.body_text
        # and the customer, at the address on file, is told what was changed, at whose request
        notice = session.scalars(select(OutboundMessage).where(OutboundMessage.template == "account_change")).one()
        assert notice.to_address == PA_EMAIL and notice.idempotency_key == f"notice:approved:{ticket.id}:{PA_EMAIL}"
        for text in (order.number, VALID_CIG, "economato@comune.esempio.it", f"n. {ticket.id}"):
            assert text in notice.body_text
    with transaction(app.sessions) as session, pytest.raises(TicketError):
        approve_ticket(session, app, ticket.id, "anna", NOW)  # approved once; no second confirmation


def test_invalid_cig_never_stored_and_the_reply_asks_to_check(app: App, rules: RuleSet) -> None:
    order_id, token, _ = pa_order(app)
    body = f"Buongiorno,\nCIG: {BAD_CIG}\nCodice univoco ufficio: {OFFICE}\nSaluti\n"
    assert deliver(app, eml(body, sender=PA_EMAIL, to=f"rinnovi+{token}@example.it"), rules).status == "review"
    only_bad = eml(f"CIG: {BAD_CIG}\n", sender=PA_EMAIL, to=f"rinnovi+{token}@example.it", mid="m2@c.example.org")
    assert deliver(app, only_bad, rules).status == InboundStatus.PROCESSED  # the customer is asked, not staff
    with app.sessions() as session:
        order = session.get_one(Order, order_id)
        assert order.cig is None and order.office_code is None
        [ticket] = tickets(session)  # the first message: the valid office code waits, the CIG is not in it
        assert ticket.details["change"]["set"] == {"office_code": OFFICE}
        first, second = replies(session)
        for reply in (first, second):
            assert BAD_CIG in reply.body_text and "La preghiamo di verificarli" in reply.body_text
            assert BAD_CIG in reply.body_html
        assert "Per ora non abbiamo registrato nulla." in second.body_text


def test_pa_corpus_message_fields_reach_the_order(app: App, rules: RuleSet) -> None:
    raw = (CORPUS / "pa_cig_office_it_qp_latin1.eml").read_bytes()
    order_id, _, _ = pa_order(app)
    outcome = deliver(app, raw, rules)  # matched by sender only: not verified
    assert outcome.status == InboundStatus.REVIEW
    with app.sessions() as session:
        [ticket] = tickets(session)
        assert ticket.details["change"]["order_id"] == order_id
        assert ticket.details["change"]["set"] == {
            "cig": "Z213346E34",
            "office_code": "UFXK9T",
            "pa_username": "comune.esempio",
        }
        assert "8814006BD6" not in str(ticket.details)  # from the quoted copy of our own email


# Renewals, cards, automatic renewal, payments ---------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "asked", "method", "years", "said"),
    [
        (CustomerKind.PRIVATE, 2, PaymentMethod.PAYPAL, 2, "per il rinnovo di 2 anni"),
        (CustomerKind.PUBLIC_ADMINISTRATION, 3, PaymentMethod.BANK_TRANSFER, 1, "vale per un solo anno"),
    ],
)
def test_renewal_request_creates_the_order_and_payment_instructions(
    app: App, rules: RuleSet, kind: CustomerKind, asked: int, method: PaymentMethod, years: int, said: str
) -> None:
    with transaction(app.sessions) as session:
        customer = make_customer(session, kind=kind, email="cliente@example.org")
        service = make_service(session, customer)
        make_service(session, customer)  # another service, not the one reminded about
        ids = (customer.id, service.id, service.expires_on)
    token, _, _ = outbound_to(app, ids[0], "cliente@example.org", (Claim(ids[1], ids[2], "before_30"),))
    body = f"Buongiorno, vorrei rinnovare per {asked} anni. Grazie"
    outcome = deliver(app, eml(body, sender="cliente@example.org", to=f"rinnovi+{token}@example.it"), rules)
    assert outcome.status == InboundStatus.PROCESSED
    with app.sessions() as session:
        order = session.scalars(select(Order)).one()
        assert [s.id for s in order.services] == [ids[1]]
        assert (order.years, order.payment_method, order.status) == (years, method, OrderStatus.AWAITING_PAYMENT)
        templates = [
            r.template for r in session.scalars(select(OutboundMessage).where(OutboundMessage.order_id == order.id))
        ]
        assert sorted(templates) == ["payment_instructions", "reply_renewal"]
        [reply] = replies(session)
        assert order.number in reply.body_text and said in reply.body_text
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "order.requested_by_email")).one()


def test_card_change_ticket_reply_and_card_number_redacted(app: App, rules: RuleSet) -> None:
    with transaction(app.sessions) as session:
        customer = make_customer(session, email="luca.verdi@client.example.org")
        make_service(
            session,
            customer,
            username="lverdi",
            autorenew=True,
            payment_method=PaymentMethod.CARD,
            card_expires=date(2027, 1, 1),
        )
    raw = (CORPUS / "card_change_with_card_number_it.eml").read_bytes()
    outcome = deliver(app, raw, rules)
    assert outcome.status == InboundStatus.REVIEW
    with app.sessions() as session:
        [ticket] = tickets(session)
        assert ticket.kind == TicketKind.SUPPORT and ticket.intent == "card_change"
        assert ticket.details["autorenew_services"][0]["method"] == "card"
        [reply] = replies(session)
        assert reply.template == "reply_card_change" and reply.to_address == "luca.verdi@client.example.org"
        assert "non invii mai il numero" in reply.body_text and "lo abbiamo cancellato" in reply.body_text
        inbound = session.scalars(select(InboundMessage)).one()
        assert inbound.card_number_detected
        assert b"4111 1111 1111 1111" in raw
        stored = load_raw(inbound).decode("utf-8", "replace")
        for text in (stored, reply.body_text, reply.body_html, str(ticket.details), str(inbound.understanding)):
            assert "4111 1111 1111 1111" not in text and "4111111111111111" not in text


@pytest.mark.parametrize("verified", [True, False])
def test_autorenew_off_applied_only_for_a_verified_sender(app: App, rules: RuleSet, verified: bool) -> None:
    customer_id, service_id = autorenew_customer(app)
    token, _, _ = outbound_to(app, customer_id, "anna@example.org")
    to = f"rinnovi+{token}@example.it" if verified else "rinnovi@example.it"
    body = "Buongiorno, vorrei disattivare il rinnovo automatico. Grazie"
    outcome = deliver(app, eml(body, sender="anna@example.org", to=to), rules)
    with app.sessions() as session:
        service = session.get_one(Service, service_id)
        [reply] = replies(session)
        assert reply.template == "reply_received"
        if verified:
            assert outcome.status == InboundStatus.PROCESSED and not service.autorenew
            assert tickets(session) == []
            assert "Il rinnovo automatico è stato disattivato" in reply.body_text
            assert service.label in reply.body_text
            event = session.scalars(select(AuditEvent).where(AuditEvent.action == "service.autorenew_off")).one()
            assert event.message_ref == "m1@client.example.org"
        else:
            assert outcome.status == InboundStatus.REVIEW and service.autorenew
            [ticket] = tickets(session)
            assert ticket.kind == TicketKind.REQUEST and ticket.details["change"] == {"service_ids": [service_id]}
            assert "verificate da un nostro operatore" in reply.body_text


def test_payment_notice_flags_the_order(app: App, rules: RuleSet) -> None:
    with transaction(app.sessions) as session:
        customer = make_customer(session, email="pay@example.org")
        service = make_service(session, customer)
        order = make_order(session, app, customer, [service], now=NOW)
        token = session.scalars(select(OutboundMessage.reply_token).where(OutboundMessage.order_id == order.id)).one()
        order_id = order.id
    body = "Buongiorno, abbiamo effettuato il bonifico. CRO: 12345678901\nSaluti"
    outcome = deliver(app, eml(body, sender="pay@example.org", to=f"rinnovi+{token}@example.it"), rules)
    assert outcome.status == InboundStatus.PROCESSED
    with app.sessions() as session:
        assert session.get_one(Order, order_id).status == OrderStatus.PAYMENT_ANNOUNCED
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "order.payment_announced")).one()
        assert event.details["payment_reference"] == "12345678901"
        [reply] = replies(session)
        assert "12345678901" in reply.body_text and "Abbiamo segnalato il pagamento" in reply.body_text


def test_unmatched_sender_changes_nothing(app: App, rules: RuleSet) -> None:
    _, service_id = autorenew_customer(app)
    body = "Buongiorno, vorrei disattivare il rinnovo automatico. Grazie"
    outcome = deliver(app, eml(body, sender="stranger@else.example.org"), rules)
    assert outcome.status == InboundStatus.REVIEW
    with app.sessions() as session:
        assert session.get_one(Service, service_id).autorenew
        [ticket] = tickets(session)
        assert ticket.kind == TicketKind.SUPPORT and ticket.customer_id is None
        assert "matched to no customer" in ticket.summary


# Mail nobody wrote, our own address, limits, duplicates, poison --------------------------------


def test_out_of_office_recorded_never_answered(app: App, rules: RuleSet) -> None:
    outcome = deliver(app, (CORPUS / "auto_reply_it.eml").read_bytes(), rules)
    assert outcome.status == InboundStatus.PROCESSED
    with app.sessions() as session:
        assert replies(session) == [] and tickets(session) == []
        inbound = session.scalars(select(InboundMessage)).one()
        assert inbound.kind == "auto_reply" and "never answered" in inbound.understanding["actions"]["notes"][0]


def test_permanent_bounce_marks_the_customer_undeliverable(app: App, rules: RuleSet) -> None:
    with transaction(app.sessions) as session:
        customer = make_customer(session, email="old.customer@client.example.org")
        other = make_customer(session, email="still.here@example.org")
        customer_id, other_id = customer.id, other.id
    _, _, row_id = outbound_to(app, customer_id, "old.customer@client.example.org")
    outbound_to(app, other_id, "still.here@example.org", key="k2")
    with transaction(app.sessions) as session:
        session.get_one(OutboundMessage, row_id).message_id = "<rem-2024-0002@example.it>"
    outcome = deliver(app, (CORPUS / "bounce_permanent_dsn.eml").read_bytes(), rules)
    assert outcome.status == InboundStatus.PROCESSED
    with app.sessions() as session:
        customer = session.get_one(Customer, customer_id)
        assert customer.email_undeliverable and "5.1.1" in (customer.undeliverable_reason or "")
        assert not session.get_one(Customer, other_id).email_undeliverable
        assert session.get_one(OutboundMessage, row_id).status == OutboundStatus.FAILED
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "customer.email_undeliverable")).one()
        assert event.message_ref == "case031@client.example.org" and event.entity_id == str(customer_id)
        assert replies(session) == []


def test_temporary_bounce_only_recorded(app: App, rules: RuleSet) -> None:
    with transaction(app.sessions) as session:
        customer_id = make_customer(session, email="old.customer@client.example.org").id
    _, _, row_id = outbound_to(app, customer_id, "old.customer@client.example.org")
    with transaction(app.sessions) as session:
        session.get_one(OutboundMessage, row_id).message_id = "<rem-2024-0002@example.it>"
    raw = (CORPUS / "bounce_permanent_dsn.eml").read_bytes()
    raw = (
        raw.replace(b"Status: 5.1.1", b"Status: 4.2.2")
        .replace(b"550 5.1.1", b"452 4.2.2")
        .replace(b"failed", b"delayed")
    )
    assert deliver(app, raw, rules).status == InboundStatus.PROCESSED
    with app.sessions() as session:
        assert not session.get_one(Customer, customer_id).email_undeliverable
        assert session.get_one(OutboundMessage, row_id).status == OutboundStatus.SENT


def test_mail_from_or_replying_to_our_own_address_is_never_answered(app: App, rules: RuleSet) -> None:
    ours = deliver(app, eml("Una domanda qualsiasi sul servizio.", sender="rinnovi@example.it"), rules)
    looped = eml(
        "Una domanda qualsiasi sul servizio.",
        sender="c@example.org",
        mid="m2@x.org",
        extra="Reply-To: rinnovi+abcdefgh23@example.it\n",
    )
    theirs = deliver(app, looped, rules)
    with app.sessions() as session:
        assert replies(session) == []
        assert session.get_one(InboundMessage, ours.inbound_id).kind == "auto_reply"  # recorded only
        notes = session.get_one(InboundMessage, theirs.inbound_id).understanding["actions"]["notes"]
        assert "no reply: our own address: never answered" in notes
        assert len(tickets(session)) == 1  # a person still reads the human one


def test_daily_reply_cap_per_sender(tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet) -> None:
    app = create_app(make_config(tmp_path, db_url, inbound={"max_auto_replies_per_day": 2}), engine=engine)
    for n in range(3):
        deliver(app, eml(f"Domanda numero {n} sul servizio.", sender="curioso@example.org", mid=f"q{n}@x.org"), rules)
    later = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # a new day: answered again
    deliver(app, eml("Un'altra domanda.", sender="curioso@example.org", mid="q9@x.org"), rules, now=later)
    with app.sessions() as session:
        assert len(replies(session)) == 3
        assert len(tickets(session)) == 4  # every message still reaches a person
        third = session.scalars(select(InboundMessage).where(InboundMessage.message_id == "q2@x.org")).one()
        assert any("already 2 automatic replies today" in n for n in third.understanding["actions"]["notes"])


def test_the_same_message_twice_is_answered_once(app: App, rules: RuleSet) -> None:
    raw = eml("Vorrei una copia della fattura dell'ultimo rinnovo.", sender="c@example.org")
    first = deliver(app, raw, rules)
    second = deliver(app, raw, rules)
    again = process_inbound(app, first.inbound_id, NOW, rules)
    assert first.inbound_id == second.inbound_id == again.inbound_id and again.status == first.status
    with app.sessions() as session:
        assert len(replies(session)) == 1 and len(tickets(session)) == 1


def test_poison_message_quarantined_and_the_next_one_processed(
    app: App, rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = pipeline._write

    def write(writer: Any, item: Any, *rest: Any) -> Any:
        if item.row.message_id == "poison@x.org":
            raise RuntimeError("boom")
        return real_write(writer, item, *rest)

    monkeypatch.setattr(pipeline, "_write", write)
    bad = deliver(app, eml("Domanda.", sender="p@example.org", mid="poison@x.org"), rules)
    good = deliver(app, eml("Altra domanda.", sender="q@example.org", mid="fine@x.org"), rules)
    assert bad.status == InboundStatus.QUARANTINED and bad.folder == app.config.imap.quarantine_folder
    assert good.status == InboundStatus.REVIEW
    with app.sessions() as session:
        poisoned = session.get_one(InboundMessage, bad.inbound_id)
        assert "RuntimeError: boom" in (poisoned.error or "")
        quarantine = session.scalars(select(Ticket).where(Ticket.inbound_id == bad.inbound_id)).one()
        assert "boom" in quarantine.summary
        audited = select(AuditEvent).where(AuditEvent.action == "ticket.opened")
        audited = audited.where(AuditEvent.entity_id == str(quarantine.id))
        opened = session.scalars(audited).one()
        assert opened.message_ref == "poison@x.org" and opened.details["quarantine"] is True
        assert [r.to_address for r in replies(session)] == ["q@example.org"]  # nothing of the poisoned one kept
    with transaction(app.sessions) as session:  # staff looked at it: still quarantined, never "processed"
        close_ticket(session, quarantine.id, "anna", NOW, "raw message checked")
    with app.sessions() as session:
        assert session.get_one(InboundMessage, bad.inbound_id).status == InboundStatus.QUARANTINED


def test_only_one_product_limit_caps_years(app: App, rules: RuleSet) -> None:
    with transaction(app.sessions) as session:
        customer = make_customer(session, email="promo@example.org")
        product = make_product(session, promo=True, max_years=10)
        service = make_service(session, customer, product, payment_method=PaymentMethod.CARD)
        customer_id, service_id, expires = customer.id, service.id, service.expires_on
    token, _, _ = outbound_to(app, customer_id, "promo@example.org", (Claim(service_id, expires, "before_30"),))
    raw = eml("Vorrei rinnovare per 5 anni.", sender="promo@example.org", to=f"rinnovi+{token}@example.it")
    assert deliver(app, raw, rules).status == InboundStatus.PROCESSED
    with app.sessions() as session:
        order = session.scalars(select(Order)).one()
        assert (order.years, order.payment_method) == (2, PaymentMethod.CARD)
        [reply] = replies(session)
        assert (
            "Ha chiesto un rinnovo di 5 anni" in reply.body_text and "la durata massima è di 2 anni" in reply.body_text
        )
