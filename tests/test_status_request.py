"""The account's status asked by email (issue 12): answered with the ``account_status`` email, only to an
address on file of the matched customer; anyone else gets the usual neutral answer and a person reads it.

It changes nothing, so the sender need not be verified; it is an automatic reply like any other, under
the daily cap, and when it cannot go a support ticket takes its place. First as plans (pure), then
through the real pipeline on the database (SQLite, or PostgreSQL with ``MAILBOT_TEST_DATABASE_URL``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.act.decide import MessageFacts, Situation, decide
from mailbot.act.pipeline import process_many
from mailbot.act.plan import CreateOrder, Plan
from mailbot.act.views import UNMATCHED, CustomerView, Match, ProductView, ServiceView, Snapshot
from mailbot.app import App
from mailbot.config import Config, load_config
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent, Customer, InboundMessage, Invoice, OutboundMessage, Ticket
from mailbot.domain import (
    Cadence,
    CustomerKind,
    InboundStatus,
    Intent,
    InvoiceKind,
    InvoiceStatus,
    OrderStatus,
    PaymentMethod,
    ReplyOutcome,
    ServiceStatus,
    TicketKind,
)
from mailbot.intake.store import Origin, store_raw
from mailbot.outbound.context import REPLY_TEMPLATES
from mailbot.understand.engine import Request
from mailbot.understand.reading import Understanding, read_message
from mailbot.understand.rules import RuleSet
from tests.support.factories import make_customer, make_order, make_service
from tests.support.inbound import NOW, deliver, eml

CONFIG: Config = load_config(None, env={})
EMAIL, PEC = "mario@example.org", "mario@pec.example.org"
ASK_IT = "Buongiorno, mi mandate la situazione dei miei servizi? Quando scade il mio abbonamento?\nMario"


# Plans ---------------------------------------------------------------------------------------------


def holder() -> CustomerView:
    product = ProductView("CAM-1Y", False, 5, 10000, Cadence.ANNUAL, 300)
    service = ServiceView(
        id=1,
        external_id="S001",
        customer_id=7,
        label="Camera",
        username="mario.cam",
        status=ServiceStatus.ACTIVE,
        expires_on=date(2026, 12, 31),
        autorenew=False,
        payment_method=PaymentMethod.BANK_TRANSFER,
        card_expires=None,
        product=product,
    )
    return CustomerView(7, "C007", "Mario Rossi", CustomerKind.PRIVATE, "it", EMAIL, PEC, False, services=(service,))


def asked(sender: str = EMAIL, reply_to: str | None = None, *intents: str) -> Understanding:
    head = f"From: {sender}\nTo: rinnovi@example.it\nSubject: situazione\nMessage-ID: <s1@example.org>\n"
    if reply_to:
        head += f"Reply-To: {reply_to}\n"
    reading = read_message(f"{head}\n{ASK_IT}\n".encode())
    wanted = intents or (Intent.STATUS_REQUEST,)
    requests = tuple(Request(i, "rule", 0.9, frozenset()) for i in wanted)
    return Understanding(reading, wanted[0], "status_request", 0.9, {}, (), False, (), (), requests=requests)


def plan_for(u: Understanding, match: Match, snapshot: Snapshot, config: Config = CONFIG) -> Plan:
    facts = MessageFacts(1, "s1@example.org", u.reading.message.from_address, False)
    return decide(Situation(u, match, snapshot, facts, config, NOW))


MATCHED = Match("sender", 7, None, None, False, "no valid reply token of ours")  # not verified: no matter


def test_the_holder_gets_the_status_without_being_verified() -> None:
    plan = plan_for(asked(), MATCHED, Snapshot(holder()))
    assert plan.status == InboundStatus.PROCESSED and plan.changes == () and plan.ticket is None
    assert plan.reply is not None and plan.reply.account_status and plan.reply.outcome == ReplyOutcome.APPLIED
    assert plan.notices == () and plan.no_reply == ""
    # if the reply cannot go (the daily cap), a person answers instead
    assert plan.unanswered is not None and plan.unanswered.reply is None
    assert plan.unanswered.ticket is not None and plan.unanswered.ticket.kind == TicketKind.SUPPORT
    assert plan.unanswered.status == InboundStatus.REVIEW


def test_the_pec_on_file_gets_it_too_whatever_its_case() -> None:
    plan = plan_for(asked("Mario@PEC.example.org"), MATCHED, Snapshot(holder()))
    assert plan.reply is not None and plan.reply.account_status


def test_a_reply_to_not_on_file_gets_the_usual_answer_and_a_ticket() -> None:
    plan = plan_for(asked(EMAIL, "segreteria@altro.example.org"), MATCHED, Snapshot(holder()))
    assert plan.status == InboundStatus.REVIEW and plan.ticket is not None
    assert plan.ticket.kind == TicketKind.SUPPORT and plan.ticket.intent == Intent.STATUS_REQUEST
    assert "segreteria@altro.example.org" in plan.ticket.summary and "not an address on file" in plan.ticket.summary
    assert plan.reply is not None and not plan.reply.account_status and plan.reply.outcome == ReplyOutcome.TICKET


def test_a_stranger_gets_the_usual_answer_and_a_ticket() -> None:
    plan = plan_for(asked("curioso@example.net"), UNMATCHED, Snapshot())
    assert plan.ticket is not None and plan.ticket.customer_id is None
    assert plan.reply is not None and not plan.reply.account_status


def test_our_own_address_is_never_answered() -> None:
    config = load_config(None, env={})
    config = replace(config, inbound=replace(config.inbound, own_addresses=(EMAIL,)))
    plan = plan_for(asked(), MATCHED, Snapshot(holder()), config)
    assert plan.reply is None and plan.ticket is not None and "our own address" in plan.no_reply


def test_beside_a_renewal_a_person_answers_the_status() -> None:
    """The shipped rule does not combine (the renewal's reply lists its services); a rule that does gives
    the status to a person, as every request that changes nothing."""
    u = asked(EMAIL, None, Intent.RENEWAL_REQUEST, Intent.STATUS_REQUEST)
    verified = Match("token", 7, None, 11, True, authentication="dkim=pass")
    plan = plan_for(u, verified, Snapshot(holder()))
    assert isinstance(plan.changes[0].effect, CreateOrder)
    assert plan.ticket is not None and plan.ticket.intent == Intent.STATUS_REQUEST
    assert plan.reply is not None and not plan.reply.account_status


# Through the pipeline --------------------------------------------------------------------------------


def account(app: App) -> int:
    """Mario Rossi: a service expiring in 40 days with storage at 80 %, another expired 3 days ago; a paid
    order with its invoice and one awaiting payment."""
    with transaction(app.sessions) as session:
        c = make_customer(session, name="Mario Rossi", email=EMAIL, pec=PEC, fiscal_code="RSSMRA80A01H501U")
        today = NOW.date()
        cam = make_service(
            session,
            c,
            label="Villa al mare",
            username="mario.villa",
            expires_on=today + timedelta(days=40),
            storage_used_mb=820,
            storage_quota_mb=1024,
        )
        shop = make_service(session, c, label="Negozio", username="mario.negozio", expires_on=today - timedelta(days=3))
        paid = make_order(session, app, c, [cam], now=NOW - timedelta(days=300))
        paid.status, paid.paid_at = OrderStatus.PAID, NOW - timedelta(days=298)
        issued = {"status": InvoiceStatus.ISSUED, "issue_on": today, "number": "2026/00007", "issued_on": today}
        amounts = {"net_cents": paid.net_cents, "vat_cents": paid.vat_cents, "total_cents": paid.total_cents}
        session.add(
            Invoice(
                order_id=paid.id,
                customer_id=c.id,
                kind=InvoiceKind.COURTESY,
                due_cents=paid.due_cents,
                **issued,
                **amounts,
            )
        )
        make_order(session, app, c, [shop], now=NOW - timedelta(days=1))
        return c.id


def replies_to(session: Session, address: str) -> list[OutboundMessage]:
    query = select(OutboundMessage).where(
        OutboundMessage.template.in_(REPLY_TEMPLATES), OutboundMessage.to_address == address
    )
    return list(session.scalars(query.order_by(OutboundMessage.id)))


def test_the_status_goes_to_the_address_on_file_that_asked(app: App, rules: RuleSet) -> None:
    customer_id = account(app)
    outcome = deliver(app, eml(ASK_IT, sender=EMAIL, subject="situazione"), rules)
    assert outcome.status == InboundStatus.PROCESSED
    with app.sessions() as session:
        [reply] = replies_to(session, EMAIL)
        assert reply.template == "account_status" and reply.customer_id == customer_id
        assert reply.subject == "Re: situazione" and reply.details["in_reply_to"] == "<m1@client.example.org>"
        assert reply.details["intent"] == "status_request"
        body = reply.body_text
        for fact in (
            "Villa al mare",
            "mario.villa",
            "Scadenza: 31 dicembre 2026 - in scadenza tra 40 giorni",
            "Spazio utilizzato: 820 MB su 1.024 MB (80%) - quasi esaurito",
            "Negozio",
            "scaduto 3 giorni fa",
            "Fattura: 2026/00007",
            "Stato: in attesa di pagamento",
            "Codice fiscale: RSSMRA80A01H501U",
            f"inviata all'indirizzo {EMAIL}",
        ):
            assert fact in body, fact
        assert session.scalars(select(Ticket)).all() == []
        row = session.scalars(select(InboundMessage)).one()
        assert row.intent == "status_request" and row.customer_id == customer_id
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "inbound.replied")).one()
        assert event.details["template"] == "account_status" and event.details["outbound_id"] == reply.id


def test_asked_from_the_pec_it_goes_to_the_pec(app: App, rules: RuleSet) -> None:
    account(app)
    deliver(app, eml("What's the status of my services?", sender=PEC, subject="services"), rules)
    with app.sessions() as session:
        [reply] = replies_to(session, PEC)
        assert reply.template == "account_status" and reply.language == "it"  # the account's language
        assert f"inviata all'indirizzo {PEC}" in reply.body_text
        assert replies_to(session, EMAIL) == []


def test_a_reply_to_elsewhere_gets_no_account(app: App, rules: RuleSet) -> None:
    account(app)
    other = "nipote@altro.example.org"
    deliver(app, eml(ASK_IT, sender=EMAIL, extra=f"Reply-To: {other}\n"), rules)
    with app.sessions() as session:
        [reply] = replies_to(session, other)
        assert reply.template == "reply_received"
        assert "Villa al mare" not in reply.body_text and "mario.villa" not in reply.body_text
        assert "la richiesta della situazione dei Suoi servizi" in reply.body_text
        [ticket] = session.scalars(select(Ticket)).all()
        assert ticket.intent == "status_request" and ticket.kind == TicketKind.SUPPORT
        assert replies_to(session, EMAIL) == []


def test_a_stranger_gets_no_account(app: App, rules: RuleSet) -> None:
    account(app)
    deliver(app, eml(ASK_IT, sender="curioso@example.net"), rules)
    with app.sessions() as session:
        [reply] = replies_to(session, "curioso@example.net")
        assert reply.template == "reply_received" and "Villa al mare" not in reply.body_text
        assert session.scalars(select(Ticket.intent)).all() == ["status_request"]


def test_over_the_daily_cap_a_person_answers(app: App, rules: RuleSet) -> None:
    account(app)
    cap = app.config.inbound.max_auto_replies_per_day
    for n in range(cap + 1):
        deliver(app, eml(ASK_IT, sender=EMAIL, mid=f"s{n}@client.example.org"), rules, NOW + timedelta(minutes=n))
    with app.sessions() as session:
        assert [r.template for r in replies_to(session, EMAIL)] == ["account_status"] * cap
        [ticket] = session.scalars(select(Ticket)).all()
        assert ticket.intent == "status_request" and "could not be sent" in ticket.summary
        last = session.scalars(select(InboundMessage).order_by(InboundMessage.id.desc())).first()
        assert last is not None and last.status == InboundStatus.REVIEW


def test_the_status_reflects_a_change_made_earlier_the_same_day(app: App, rules: RuleSet) -> None:
    customer_id = account(app)
    with transaction(app.sessions) as session:
        c = session.get_one(Customer, customer_id)
        c.services[0].autorenew, c.services[0].payment_method = True, PaymentMethod.CARD
    later = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
    deliver(app, eml("Il rinnovo automatico è attivo?", sender=EMAIL), rules, later)
    with app.sessions() as session:
        [reply] = replies_to(session, EMAIL)
        assert "Rinnovo automatico: attivo (carta di pagamento)" in reply.body_text


def test_in_one_batch_with_other_mail(app: App, rules: RuleSet) -> None:
    """Processed as a batch (one transaction, ``process_many``): each message answered as it would be alone."""
    account(app)
    raws = [
        eml(ASK_IT, sender=EMAIL, mid="b1@client.example.org"),
        eml(ASK_IT, sender="curioso@example.net", mid="b2@client.example.org"),
        eml("Grazie, ricevuto.", sender=EMAIL, mid="b3@client.example.org"),
        eml("What's the status of my services?", sender=PEC, mid="b4@client.example.org"),
    ]
    with transaction(app.sessions) as session:
        ids = [store_raw(session, raw, Origin("pipe"), now=NOW, config=app.config).inbound_id for raw in raws]
    outcomes = process_many(app, ids, NOW, rules)
    assert [o.status for o in outcomes] == [
        InboundStatus.PROCESSED,
        InboundStatus.REVIEW,
        InboundStatus.REVIEW,
        InboundStatus.PROCESSED,
    ]
    with app.sessions() as session:
        assert [r.template for r in replies_to(session, EMAIL)] == ["account_status", "reply_received"]
        assert [r.template for r in replies_to(session, PEC)] == ["account_status"]
        assert [r.template for r in replies_to(session, "curioso@example.net")] == ["reply_received"]
