"""build_message: every header and both parts, checked by parsing the bytes back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import parsedate_to_datetime

import pytest

from mailbot.config import MailConfig
from mailbot.db.models import OutboundMessage
from mailbot.outbound.compose import build_message

NOW = datetime(2026, 3, 14, 9, 30, 5, tzinfo=UTC)
MAIL = MailConfig(
    from_address="rinnovi@example.it",
    from_name="Società Rinnovi – Servizio clienti",
    reply_to="rinnovi+{token}@example.it",
)


def make_row(**kw: object) -> OutboundMessage:
    values: dict[str, object] = {
        "id": 7,
        "to_address": "mario.rossi@example.org",
        "subject": "Il servizio «Impianto 1» scade il 31 dicembre",
        "body_text": "Gentile Mario,\nil servizio scade a breve: è tempo di rinnovare.\n",
        "body_html": "<p>Gentile Mario,</p><p>il servizio scade a breve: è tempo di <b>rinnovare</b>.</p>",
        "message_id": "<0123abcd@example.it>",
        "reply_token": "abcdefghij0123456789",
        "template": "expiry_reminder",
        "language": "it",
    }
    values.update(kw)
    return OutboundMessage(**values)


def parse(message: EmailMessage) -> EmailMessage:
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_headers_survive_the_wire() -> None:
    msg = parse(build_message(make_row(), MAIL, NOW))
    sender = msg["From"].addresses
    assert len(sender) == 1
    assert sender[0].display_name == "Società Rinnovi – Servizio clienti"
    assert sender[0].addr_spec == "rinnovi@example.it"
    assert msg["To"] == "mario.rossi@example.org"
    assert msg["Subject"] == "Il servizio «Impianto 1» scade il 31 dicembre"
    assert parsedate_to_datetime(msg["Date"]) == NOW
    assert msg["Message-ID"] == "<0123abcd@example.it>"
    assert msg["Reply-To"] == "rinnovi+abcdefghij0123456789@example.it"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Mailbot-Template"] == "expiry_reminder"
    assert msg["Content-Language"] == "it"


def test_non_ascii_headers_are_encoded_on_the_wire() -> None:
    raw = build_message(make_row(), MAIL, NOW).as_bytes()
    head = raw.split(b"\n\n", 1)[0]
    assert head.isascii()
    assert b"=?utf-8?" in head


def test_both_parts_in_utf8() -> None:
    msg = parse(build_message(make_row(), MAIL, NOW))
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    text, html = (p.get_content() for p in parts)
    assert text == "Gentile Mario,\nil servizio scade a breve: è tempo di rinnovare.\n"
    assert "è tempo di <b>rinnovare</b>" in html


def test_long_lines_are_folded_to_the_smtp_limit() -> None:
    long_text = "x" * 5000 + " è\n"
    raw = build_message(make_row(body_text=long_text, body_html="<p>" + "y" * 5000 + "</p>"), MAIL, NOW).as_bytes()
    assert max(len(line) for line in raw.split(b"\n")) <= 998
    parts = list(parse(build_message(make_row(body_text=long_text), MAIL, NOW)).iter_parts())
    assert parts[0].get_content() == long_text


def test_message_id_is_the_rows_and_date_is_now_in_any_zone() -> None:
    rome = timezone(timedelta(hours=1))
    first = build_message(make_row(), MAIL, NOW)
    retry = build_message(make_row(), MAIL, (NOW + timedelta(hours=2)).astimezone(rome))
    assert first["Message-ID"] == retry["Message-ID"] == "<0123abcd@example.it>"
    assert parsedate_to_datetime(retry["Date"]) == NOW + timedelta(hours=2)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_message(make_row(), MAIL, datetime(2026, 3, 14, 9, 30))


def test_header_injection_is_refused() -> None:
    with pytest.raises(ValueError):
        build_message(make_row(subject="Rinnovo\nBcc: victim@example.org"), MAIL, NOW)
