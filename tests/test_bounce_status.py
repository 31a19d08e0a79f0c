"""What a permanent bounce of one of our emails does depends on the status it gives our recipient:
only a bad address (5.1.x) marks the customer's address undeliverable; any other permanent failure
(a content or policy refusal, a full mailbox, no status at all) fails the outbox row for staff to see
and leaves the address."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent, Customer, InboundMessage, OutboundMessage
from mailbot.domain import InboundStatus, OutboundStatus
from mailbot.outbound.refusals import is_bad_address_status
from mailbot.understand.rules import RuleSet
from tests.support.factories import make_customer
from tests.support.inbound import deliver, outbound_to

CORPUS = Path(__file__).parent / "corpus"
OURS = "old.customer@client.example.org"
OUR_ID = "<rem-2024-0002@example.it>"


def _sent_to_customer(app: App) -> tuple[int, int]:
    with transaction(app.sessions) as session:
        customer_id = make_customer(session, email=OURS).id
    _, _, row_id = outbound_to(app, customer_id, OURS)
    with transaction(app.sessions) as session:
        session.get_one(OutboundMessage, row_id).message_id = OUR_ID
    return customer_id, row_id


def _dsn(status: str, diagnostic: str) -> bytes:
    raw = (CORPUS / "bounce_permanent_dsn.eml").read_bytes()
    return (
        raw.replace(b"Status: 5.1.1", f"Status: {status}".encode())
        .replace(b"550 5.1.1 User unknown", diagnostic.encode())
        .replace(
            b"550 5.1.1 <old.customer@client.example.org>: Recipient address rejected: User unknown",
            diagnostic.encode(),
        )
    )


def _outcome(app: App, customer_id: int, row_id: int) -> tuple[OutboundStatus, str, bool, int]:
    with app.sessions() as session:
        row = session.get_one(OutboundMessage, row_id)
        customer = session.get_one(Customer, customer_id)
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "customer.email_undeliverable")).all()
        return row.status, row.last_error or "", customer.email_undeliverable, len(events)


@pytest.mark.parametrize(
    ("status", "diagnostic"),
    [
        ("5.7.1", "550 5.7.1 Message rejected as spam by Content Filtering"),
        ("5.2.2", "552 5.2.2 Mailbox full"),
        ("5.6.0", "554 5.6.0 Message content not accepted"),
    ],
)
def test_a_permanent_bounce_that_is_not_a_bad_address_fails_the_row_and_keeps_the_address(
    app: App, rules: RuleSet, status: str, diagnostic: str
) -> None:
    customer_id, row_id = _sent_to_customer(app)
    outcome = deliver(app, _dsn(status, diagnostic), rules)
    assert outcome.status == InboundStatus.PROCESSED
    row_status, error, undeliverable, events = _outcome(app, customer_id, row_id)
    assert (row_status, undeliverable, events) == (OutboundStatus.FAILED, False, 0)
    assert status in error
    with app.sessions() as session:
        notes = session.get_one(InboundMessage, outcome.inbound_id).understanding["actions"]["notes"]
    assert any("address kept" in n for n in notes), notes


def test_a_bad_address_bounce_marks_the_address(app: App, rules: RuleSet) -> None:
    customer_id, row_id = _sent_to_customer(app)
    deliver(app, _dsn("5.1.2", "550 5.1.2 Host unknown"), rules)
    assert _outcome(app, customer_id, row_id)[0::2] == (OutboundStatus.FAILED, True)


def test_a_permanent_bounce_without_a_status_fails_the_row_and_keeps_the_address(app: App, rules: RuleSet) -> None:
    """No status code: the bounce may as well be a refusal of the content as a dead mailbox (in the shared
    corpus, most are not a bad address), so staff decide."""
    customer_id, row_id = _sent_to_customer(app)
    raw = (
        b"From: MAILER-DAEMON@mx.client.example.org\nTo: rinnovi@example.it\nSubject: failure notice\n"
        b"Message-ID: <nds1@mx.client.example.org>\n\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        b"This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        b"<old.customer@client.example.org>:\nThe message was refused.\n\n"
        b"--- Below this line is a copy of the message.\n\n"
        b"To: old.customer@client.example.org\nFrom: rinnovi@example.it\nMessage-ID: <rem-2024-0002@example.it>\n"
    )
    assert deliver(app, raw, rules).status == InboundStatus.PROCESSED
    row_status, error, undeliverable, events = _outcome(app, customer_id, row_id)
    assert (row_status, undeliverable, events) == (OutboundStatus.FAILED, False, 0)
    assert "no status" in error


@pytest.mark.parametrize(
    ("status", "diagnostic", "row_after"),
    [
        ("5.7.1", "550 5.7.1 rejected by policy", OutboundStatus.FAILED),  # refused the content
        ("4.2.2", "452 4.2.2 Mailbox full, will retry", OutboundStatus.SENT),  # only delayed: recorded
    ],
)
def test_each_recipient_of_a_dsn_is_judged_by_its_own_status(
    app: App, rules: RuleSet, status: str, diagnostic: str, row_after: OutboundStatus
) -> None:
    """A DSN about two recipients: the other one's mailbox is gone (5.1.1); ours has a status of its own."""
    customer_id, row_id = _sent_to_customer(app)
    raw = _dsn(status, diagnostic).replace(
        b"Reporting-MTA: dns; mx.example.it\n",
        b"Reporting-MTA: dns; mx.example.it\n\nFinal-Recipient: rfc822; someone.else@client.example.org\n"
        b"Action: failed\nStatus: 5.1.1\n",
    )
    deliver(app, raw, rules)
    row_status, _, undeliverable, _ = _outcome(app, customer_id, row_id)
    assert (row_status, undeliverable) == (row_after, False)


@pytest.mark.parametrize(
    ("status", "bad"),
    [
        ("5.1.1", True),  # bad destination mailbox
        ("5.1.2", True),  # bad destination system (domain)
        ("5.1.3", True),  # bad address syntax
        ("5.1.6", True),  # mailbox has moved
        ("5.1.10", True),  # null MX
        ("5.1.7", False),  # OUR (the sender's) address is bad
        ("5.1.8", False),  # OUR (the sender's) system is bad
        ("5.1.5", False),  # destination address valid
        ("5.7.1", False),
        ("5.2.2", False),
        ("4.1.1", False),  # temporary
        (None, False),
        ("garbage", False),
    ],
)
def test_bad_address_statuses(status: str | None, bad: bool) -> None:
    assert is_bad_address_status(status) is bad
