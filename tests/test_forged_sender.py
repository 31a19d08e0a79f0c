"""Nobody can act for a customer by forging a From: end to end through the real pipeline.

The attack: a message with the customer's address in ``From:``, the reply token of an email the
customer received (it is in the Reply-To of every email we send, so a forwarded copy gives it away)
and the attacker's own ``Reply-To``. A From is a claim until our receiving server vouches for it in
an ``Authentication-Results`` header (``inbound.authserv_id``): a claim changes nothing by itself,
the answer to the attacker says nothing of the account, and every confirmation of a change goes to
the customer's addresses on file.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mailbot.act.tickets import approve_ticket
from mailbot.app import App, create_app
from mailbot.db.engine import transaction
from mailbot.db.models import Customer, InboundMessage, OutboundMessage, Service, Ticket
from mailbot.domain import InboundStatus, PaymentMethod, ServiceStatus, TicketKind
from mailbot.outbound.outbox import NewMessage, enqueue
from mailbot.outbound.render import RenderedEmail
from mailbot.understand.rules import RuleSet
from tests.support.config import AUTHSERV_ID, make_config
from tests.support.dkim import dkim_key, resolver, signed
from tests.support.factories import make_customer, make_order, make_service
from tests.support.inbound import deliver, eml

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
VICTIM, VICTIM_PEC, ATTACKER = "anna@client.example.org", "anna@pec.example.org", "mallory@evil.example.net"
DOMAIN = "client.example.org"  # the tests' receiving server is AUTHSERV_ID (tests/support/config.py)
ASKS = {
    "autorenew_off": "Buongiorno, vorrei disattivare il rinnovo automatico del servizio. Grazie",
    "cancellation": "Buongiorno, vi chiedo di non rinnovare il servizio: disdetta. Grazie",
    "billing_update": "Buongiorno, vi comunico la nuova PEC: nuova@pec.evil.example.net\nGrazie",
}


@pytest.fixture
def unguarded(tmp_path: Path, db_url: str, engine: Engine) -> App:
    """An app with no ``inbound.authserv_id`` (the default): no Authentication-Results header is trusted."""
    return create_app(make_config(tmp_path, db_url, inbound={"authserv_id": ""}), engine=engine)


def victim(app: App) -> tuple[int, int, str]:
    """The customer (English-speaking, with a PEC) with an automatically renewed service, and the reply
    token of a reminder sent to her: (customer id, service id, token)."""
    with transaction(app.sessions) as session:
        customer = make_customer(session, email=VICTIM, pec=VICTIM_PEC, language="en")
        service = make_service(
            session,
            customer,
            username="anna.portale",
            label="Impianto Via Roma",
            autorenew=True,
            payment_method=PaymentMethod.CARD,
            expires_on=date(2027, 3, 31),
        )
        message = NewMessage(
            "reminder-1", "expiry_reminder", "en", VICTIM, RenderedEmail("s", "t", "<p>h</p>"), customer_id=customer.id
        )
        row = enqueue(session, message, mail=app.config.mail, now=NOW - timedelta(days=3))
        assert row is not None
        return customer.id, service.id, row.reply_token


def forged(token: str, body: str, *, auth: str = "", mid: str = "forged1@evil.example.net") -> bytes:
    """The attacker's message: the victim's From, the victim's reply token, the attacker's Reply-To."""
    raw = eml(
        body, sender=VICTIM, to=f"rinnovi+{token}@example.it", mid=mid, extra=f"Reply-To: {ATTACKER}\n", auth=False
    )
    return auth.encode() + raw


def mail_to(session: Session, address: str) -> list[OutboundMessage]:
    query = select(OutboundMessage).where(OutboundMessage.to_address == address).order_by(OutboundMessage.id)
    return list(session.scalars(query))


def assert_unchanged(session: Session, customer_id: int, service_id: int) -> None:
    service = session.get_one(Service, service_id)
    assert service.autorenew and service.status == ServiceStatus.ACTIVE
    assert session.get_one(Customer, customer_id).pec == VICTIM_PEC


def assert_reveals_nothing(reply: OutboundMessage) -> None:
    """The answer to a stranger: nothing of the account, not even the customer's language."""
    assert reply.language == "it"  # the language of the message, not the customer's ("en")
    for body in (reply.body_text, reply.body_html):
        for secret in ("anna.portale", "Impianto Via Roma", "2027", "31 marzo", VICTIM, VICTIM_PEC):
            assert secret not in body


@pytest.mark.parametrize("intent", sorted(ASKS))
def test_a_forged_from_with_the_reply_token_is_a_claim_for_staff(app: App, rules: RuleSet, intent: str) -> None:
    """Our server vouched for nothing: a token plus the customer's From is only a claim."""
    customer_id, service_id, token = victim(app)
    outcome = deliver(app, forged(token, ASKS[intent]), rules)
    assert outcome.status == InboundStatus.REVIEW
    with app.sessions() as session:
        assert_unchanged(session, customer_id, service_id)
        [ticket] = session.scalars(select(Ticket)).all()
        assert ticket.kind == TicketKind.REQUEST and ticket.intent == intent
        assert any("sender not verified" in r for r in ticket.details["why_not_automatic"])
        inbound = session.scalars(select(InboundMessage)).one()
        assert not inbound.verified_sender
        [reply] = mail_to(session, ATTACKER)
        assert_reveals_nothing(reply)
        assert mail_to(session, VICTIM)[1:] == []  # only the reminder: nothing was changed to confirm


def test_with_no_authserv_id_no_header_is_trusted(unguarded: App, rules: RuleSet) -> None:
    customer_id, service_id, token = victim(unguarded)
    auth = f"Authentication-Results: {AUTHSERV_ID}; dmarc=pass header.from={DOMAIN}\n"
    outcome = deliver(unguarded, forged(token, ASKS["cancellation"], auth=auth), rules)
    assert outcome.status == InboundStatus.REVIEW
    with unguarded.sessions() as session:
        assert_unchanged(session, customer_id, service_id)
        assert "no inbound.authserv_id" in session.scalars(select(Ticket)).one().details["match"]["authentication"]


def test_a_forged_authentication_results_header_is_not_ours(app: App, rules: RuleSet) -> None:
    """The attacker writes a DMARC pass of our authserv-id into the message; our server's own header,
    added on top, says the From failed: only ours counts."""
    customer_id, service_id, token = victim(app)
    auth = (
        f"Authentication-Results: {AUTHSERV_ID}; dkim=none; dmarc=fail header.from=client.example.org\n"
        f"Received: from evil.example.net by {AUTHSERV_ID}; Sat, 21 Nov 2026 09:00:01 +0100\n"
        f"Authentication-Results: {AUTHSERV_ID}; dmarc=pass header.from=client.example.org\n"
    )
    assert deliver(app, forged(token, ASKS["autorenew_off"], auth=auth), rules).status == InboundStatus.REVIEW
    with app.sessions() as session:
        assert_unchanged(session, customer_id, service_id)
        assert_reveals_nothing(mail_to(session, ATTACKER)[0])


def test_an_authenticated_customer_is_applied_and_told_at_the_addresses_on_file(app: App, rules: RuleSet) -> None:
    """The same message with our server's DMARC pass for the From: the customer wrote it. The change is
    applied; the Reply-To gets a neutral answer, the addresses on file the confirmation."""
    _customer_id, service_id, token = victim(app)
    auth = f"Authentication-Results: {AUTHSERV_ID}; spf=pass smtp.mailfrom={VICTIM}; dmarc=pass header.from={DOMAIN}\n"
    assert deliver(app, forged(token, ASKS["autorenew_off"], auth=auth), rules).status == InboundStatus.PROCESSED
    with app.sessions() as session:
        assert not session.get_one(Service, service_id).autorenew
        assert session.scalars(select(InboundMessage)).one().verified_sender
        assert_reveals_nothing(mail_to(session, ATTACKER)[0])
        for address in (VICTIM, VICTIM_PEC):
            notice = mail_to(session, address)[-1]
            assert notice.template == "account_change" and notice.language == "en"
            assert "Impianto Via Roma" in notice.body_text and "switched off" in notice.body_text
            assert ATTACKER not in notice.body_text and VICTIM in notice.body_text  # who asked: the From


def test_a_pec_change_is_told_to_the_old_pec_too(app: App, rules: RuleSet) -> None:
    customer_id, _service_id, token = victim(app)
    auth = f"Authentication-Results: {AUTHSERV_ID}; dmarc=pass header.from=client.example.org\n"
    deliver(app, forged(token, ASKS["billing_update"], auth=auth), rules)
    with app.sessions() as session:
        assert session.get_one(Customer, customer_id).pec == "nuova@pec.evil.example.net"
        for address in (VICTIM, VICTIM_PEC, "nuova@pec.evil.example.net"):
            assert mail_to(session, address)[-1].template == "account_change"


def test_an_expired_token_verifies_nothing(app: App, rules: RuleSet) -> None:
    customer_id, service_id, token = victim(app)
    auth = f"Authentication-Results: {AUTHSERV_ID}; dmarc=pass header.from=client.example.org\n"
    later = NOW + timedelta(days=180)  # the reminder was created 183 days before
    assert deliver(app, forged(token, ASKS["autorenew_off"], auth=auth), rules, later).status == "review"
    with app.sessions() as session:
        assert_unchanged(session, customer_id, service_id)
        inbound = session.scalars(select(InboundMessage)).one()
        assert inbound.match_method != "token" and not inbound.verified_sender
        assert any("expired" in n for n in inbound.understanding["match"]["notes"])
        [ticket] = session.scalars(select(Ticket)).all()
        assert any("expired" in n for n in ticket.details["match"]["notes"])


def test_a_guessed_order_number_identifies_nobody(app: App, rules: RuleSet) -> None:
    """Order numbers are sequential: quoting one attaches its customer to nobody else."""
    with transaction(app.sessions) as session:
        customer = make_customer(session, email=VICTIM, language="en")
        service = make_service(session, customer, username="anna.portale", label="Impianto Via Roma")
        order = make_order(session, app, customer, [service], now=NOW)
        number = order.number
    body = f"Buongiorno, abbiamo pagato l'ordine {number} con bonifico, CRO 12345678901. Saluti"
    assert deliver(app, eml(body, sender=ATTACKER), rules).status == InboundStatus.REVIEW  # DMARC pass: his own
    with app.sessions() as session:
        inbound = session.scalars(select(InboundMessage)).one()
        assert inbound.customer_id is None
        [ticket] = session.scalars(select(Ticket)).all()
        assert ticket.kind == TicketKind.SUPPORT and ticket.customer_id is None
        [reply] = mail_to(session, ATTACKER)
        assert_reveals_nothing(reply)


def test_approving_a_claim_writes_to_the_customer_on_file(app: App, rules: RuleSet) -> None:
    _customer_id, service_id, token = victim(app)
    deliver(app, forged(token, ASKS["autorenew_off"]), rules)
    with app.sessions() as session:
        ticket_id = session.scalars(select(Ticket.id)).one()
    with transaction(app.sessions) as session:
        approve_ticket(session, app, ticket_id, "anna.staff", NOW)
    with app.sessions() as session:
        assert not session.get_one(Service, service_id).autorenew
        for address in (VICTIM, VICTIM_PEC):
            notice = mail_to(session, address)[-1]
            assert notice.template == "account_change" and str(ticket_id) in notice.body_text
        for reply in mail_to(session, ATTACKER):
            assert_reveals_nothing(reply)


def test_dkim_checked_here_verifies_where_no_server_vouches(
    tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet
) -> None:
    """``inbound.verify_dkim``: a signature of the From's domain, checked with dkimpy against the key in
    the DNS (a stub here), authenticates the From; the same message unsigned stays a claim."""
    config = make_config(tmp_path, db_url, inbound={"authserv_id": "", "verify_dkim": True})
    pem, record = dkim_key()
    asked: list[bytes] = []
    app = create_app(config, engine=engine)
    app.dkim_dns = resolver({f"sel._domainkey.{DOMAIN}.".encode(): record}, asked)
    customer_id, service_id, token = victim(app)
    unsigned = forged(token, ASKS["autorenew_off"]).replace(f"Reply-To: {ATTACKER}\n".encode(), b"")
    assert deliver(app, unsigned, rules).status == InboundStatus.REVIEW
    with app.sessions() as session:
        assert_unchanged(session, customer_id, service_id)
    raw = forged(token, ASKS["autorenew_off"], mid="signed1@client.example.org")
    raw = raw.replace(f"Reply-To: {ATTACKER}\n".encode(), b"")
    assert deliver(app, signed(pem, DOMAIN.encode(), raw) + raw, rules).status == InboundStatus.PROCESSED
    with app.sessions() as session:
        assert not session.get_one(Service, service_id).autorenew
        inbound = session.scalars(
            select(InboundMessage).where(InboundMessage.message_id == "signed1@client.example.org")
        ).one()
        assert inbound.verified_sender and "verified here" in inbound.understanding["match"]["authentication"]
    assert asked == [f"sel._domainkey.{DOMAIN}.".encode()]


def test_a_change_applied_with_no_reply_possible_is_still_told_at_the_addresses_on_file(
    app: App, rules: RuleSet
) -> None:
    """The Reply-To is one of our own addresses, so no reply may go; the change applied is still told
    to the email and PEC on file."""
    _customer_id, service_id, token = victim(app)
    auth = f"Authentication-Results: {AUTHSERV_ID}; dmarc=pass header.from={DOMAIN}\n"
    raw = eml(
        ASKS["autorenew_off"],
        sender=VICTIM,
        to=f"rinnovi+{token}@example.it",
        mid="ownreplyto@client.example.org",
        extra="Reply-To: rinnovi@example.it\n",
        auth=False,
    )
    assert deliver(app, auth.encode() + raw, rules).status == InboundStatus.PROCESSED
    with app.sessions() as session:
        assert not session.get_one(Service, service_id).autorenew
        assert mail_to(session, "rinnovi@example.it") == []
        for address in (VICTIM, VICTIM_PEC):
            assert mail_to(session, address)[-1].template == "account_change"
        notes = session.scalars(select(InboundMessage)).one().understanding["actions"]["notes"]
        assert any(n.startswith("no reply: our own address") for n in notes), notes
