"""No header we write carries a control character from email: the reply to a hostile message, through
the real pipeline and the real composer (both the fast byte path and the ``EmailMessage`` path)."""

from __future__ import annotations

import base64
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest
from aiosmtplib.email import flatten_message
from sqlalchemy import select

from mailbot.act.replies import reply_subject
from mailbot.app import App
from mailbot.config import MailConfig
from mailbot.db.models import InboundMessage, OutboundMessage
from mailbot.outbound.compose import OutgoingMail, build_message, encode_message, outgoing
from mailbot.paths import rules_dir
from mailbot.text import is_hidden
from mailbot.understand.rules import load_rules
from tests.support.inbound import NOW, deliver
from tests.support.outbound import MAIL, make_row


def _b64(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


SUBJECT = "Rinnovo\r\nBcc: victim@example.org\x1b[2J\x9b31m\u202eoiggassem\x07"
FROM_NAME = "Mario\r\nBcc: victim@example.org\x1b]0;owned\x07\u202e"
HOSTILE = (
    f"From: {_b64(FROM_NAME)} <mario@example.org>\r\n"
    "To: rinnovi@example.it\r\n"
    f"Subject: {_b64(SUBJECT)}\r\n"
    "Date: Sat, 21 Nov 2026 09:00:00 +0100\r\n"
    "Message-ID: <m1\x1b[5m@client.example.org>\r\n"
    "References: <good@client.example.org> <bad\x07@client.example.org>\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    "Mi inviate una copia della fattura?\r\n"
).encode()


def wire(mail: OutgoingMail | EmailMessage) -> bytes:
    return mail.data if isinstance(mail, OutgoingMail) else flatten_message(mail)


def assert_clean_headers(data: bytes) -> EmailMessage:
    head = data.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):  # the raw lines: printable ASCII, folded lines start with a space
        assert all(0x20 <= byte < 0x7F for byte in line), line
    parsed = message_from_bytes(data, policy=default)
    assert isinstance(parsed, EmailMessage)
    for name, value in parsed.items():  # and the decoded values
        assert not [c for c in str(value) if is_hidden(c)], (name, str(value))
    assert "Bcc" not in parsed and parsed.get_all("To") == [parsed["To"]]
    return parsed


def test_reply_to_a_hostile_message_has_clean_headers(app: App) -> None:
    deliver(app, HOSTILE, load_rules(rules_dir()))
    with app.sessions() as session:
        row = session.scalars(select(OutboundMessage)).one()
    assert row.to_address == "mario@example.org"
    assert not [c for c in row.subject if is_hidden(c)]
    for mail in (outgoing(row, app.config.mail, NOW), build_message(row, app.config.mail, NOW)):
        parsed = assert_clean_headers(wire(mail))
        assert parsed["Subject"] == "Re: Rinnovo Bcc: victim@example.org[2J31moiggassem"
        assert "<good@client.example.org>" in parsed["References"]  # threading kept, the bad id dropped
        assert "bad" not in parsed["References"] and "m1" not in parsed["References"]
        assert "In-Reply-To" not in parsed  # the message's own id held a control character


def test_reply_subject_is_one_clean_line() -> None:
    assert reply_subject("Re: R: Rinnovo\r\n\tBcc: x@y.z\x1b[2J\u202e", "it") == "Re: Rinnovo Bcc: x@y.z[2J"
    assert reply_subject("\x1b\x07\u202e", "en") == "Re: your request"


@pytest.mark.parametrize("builder", [encode_message, build_message])
def test_composer_cleans_the_subject_and_drops_bad_thread_ids(builder: object) -> None:
    row = make_row(
        subject="Il servizio \x1b[31m«Impianto»\x9b scade\u2028oggi\nBcc: victim@example.org",
        details={
            "auto_submitted": "auto-replied",
            "in_reply_to": "<a\x1b@x.example>",
            "references": "<ok@x.example> <a\x1b@x.example>",
        },
    )
    mail = builder(row, MAIL, NOW)  # type: ignore[operator]
    assert mail is not None
    parsed = assert_clean_headers(wire(mail))
    assert parsed["Subject"] == "Il servizio [31m«Impianto» scade oggi Bcc: victim@example.org"
    assert parsed["References"] == "<ok@x.example>" and "In-Reply-To" not in parsed


@pytest.mark.parametrize("address", ["ma\x07rio@example.org", "mario@example.org\x1b[2J", "mario@exa\u202emple.org"])
def test_composer_refuses_an_address_with_a_control_character(address: str) -> None:
    for build in (outgoing, build_message):
        with pytest.raises(ValueError, match="header To"):
            build(make_row(to_address=address), MAIL, NOW)


def test_from_name_with_a_line_break_is_refused() -> None:
    injected = MailConfig(from_address="rinnovi@example.it", from_name="R\x1b[2J\nBcc: x@y.z", reply_to=MAIL.reply_to)
    with pytest.raises(ValueError, match="from_name"):
        outgoing(make_row(), injected, NOW)


def test_a_reply_address_holding_a_control_character_gets_no_reply_and_no_failed_email(app: App) -> None:
    """Refused before anything is enqueued (the composer would fail the email at sending time)."""
    reply_to = b'Reply-To: "a\\\x07b"@example.org\r\n'
    hostile = HOSTILE.replace(b"To: rinnovi@example.it\r\n", b"To: rinnovi@example.it\r\n" + reply_to)
    outcome = deliver(app, hostile, load_rules(rules_dir()))
    with app.sessions() as session:
        assert session.scalars(select(OutboundMessage)).all() == []
        inbound = session.get_one(InboundMessage, outcome.inbound_id)
    notes = inbound.understanding["actions"]["notes"]
    assert any("no reply" in note and "control character" in note for note in notes), notes
