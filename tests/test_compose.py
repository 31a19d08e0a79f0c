"""build_message: every header and both parts, checked by parsing the bytes back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.utils import parsedate_to_datetime

import pytest
from aiosmtplib.email import flatten_message

from mailbot.config import MailConfig
from mailbot.outbound.compose import OutgoingMail, build_message, encode_message, outgoing
from tests.support.outbound import MAIL, NOW, make_row


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
    """A line break in a Subject (which may quote a customer's) stays in the Subject; in an address it is refused
    (tests/test_reply_headers.py has the hostile cases)."""
    msg = parse(build_message(make_row(subject="Rinnovo\nBcc: victim@example.org"), MAIL, NOW))
    assert msg["Subject"] == "Rinnovo Bcc: victim@example.org" and "Bcc" not in msg
    with pytest.raises(ValueError, match="line break"):
        build_message(make_row(to_address="mario@example.org\nBcc: victim@example.org"), MAIL, NOW)


# encode_message: the drain's fast path writes the same email straight to bytes.

LONG_SUBJECT = "Rinnovo dei servizi «Impianto 1», «Impianto 2» e «Impianto 3»: scadenza il 31 dicembre 2026"
TRICKY_TEXT = (
    "Gentile Mario,\r\nriga con spazi finali   \n.\n..punto iniziale\nFrom me\n= uguale =3D\rvecchio a capo Mac\n"
    + "x" * 300
    + " è\n\tTab iniziale\nultima senza a capo"
)
ROWS: dict[str, dict[str, object]] = {
    "plain": {},
    "ascii": {"subject": "Your service expires soon", "body_text": "Hello\n", "body_html": "<p>Hello</p>"},
    "long subject": {"subject": LONG_SUBJECT},
    "long ascii subject": {"subject": "Your services " + "and more services " * 8 + "expire"},
    "tricky bodies": {"body_text": TRICKY_TEXT, "body_html": "<p>" + "ü" * 200 + "</p>\n<p>.</p>"},
    "no language": {"language": ""},
    "empty bodies": {"body_text": "", "body_html": ""},
    "reply": {
        "details": {
            "auto_submitted": "auto-replied",
            "in_reply_to": "<question@customer.example>",
            "references": " ".join(f"<ref{n}.{'a' * 30}@customer.example>" for n in range(30)),
        }
    },
}


def parse_bytes(data: bytes) -> EmailMessage:
    parsed = message_from_bytes(data, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize("case", sorted(ROWS))
@pytest.mark.parametrize("from_name", ["Società Rinnovi – Servizio clienti", "Rinnovi, Example S.p.A.", ""])
def test_encoded_bytes_parse_to_the_same_email(case: str, from_name: str) -> None:
    mail = MailConfig(from_address="rinnovi@example.it", from_name=from_name, reply_to="rinnovi+{token}@example.it")
    row = make_row(**ROWS[case])
    encoded = encode_message(row, mail, NOW)
    assert encoded is not None
    assert (encoded.sender, encoded.recipients, encoded.message_id) == (
        "rinnovi@example.it",
        ("mario.rossi@example.org",),
        "<0123abcd@example.it>",
    )
    assert encoded.data.isascii()
    assert b"\r\n" in encoded.data and b"\n" not in encoded.data.replace(b"\r\n", b"")
    assert b"\r" not in encoded.data.replace(b"\r\n", b"")
    assert max(len(line) for line in encoded.data.split(b"\r\n")) <= 78
    # Compared with what aiosmtplib puts on the wire for the EmailMessage (CRLF, policy SMTP).
    ours, theirs = parse_bytes(encoded.data), parse_bytes(flatten_message(build_message(row, mail, NOW)))
    assert not ours.defects and all(not part.defects for part in ours.walk())

    def view(msg: EmailMessage) -> list[tuple[str, str]]:
        return [(k, str(v)) for k, v in msg.items() if k != "Content-Type"]

    assert view(ours) == view(theirs)
    assert ours.get_content_type() == theirs.get_content_type() == "multipart/alternative"
    ours_parts, their_parts = list(ours.iter_parts()), list(theirs.iter_parts())
    assert [(p.get_content_type(), p.get_content_charset(), p["Content-Transfer-Encoding"]) for p in ours_parts] == [
        (p.get_content_type(), p.get_content_charset(), p["Content-Transfer-Encoding"]) for p in their_parts
    ]
    assert [p.get_content() for p in ours_parts] == [p.get_content() for p in their_parts]


def test_encoded_boundaries_differ_and_never_occur_in_a_body() -> None:
    row = make_row(body_text="--" + "=" * 40 + "\n==\n", body_html="<p>==============</p>")
    first, second = (encode_message(row, MAIL, NOW) for _ in range(2))
    assert first is not None and second is not None
    boundaries = [parse_bytes(m.data).get_boundary() for m in (first, second)]
    assert boundaries[0] != boundaries[1]
    assert boundaries[0] and first.data.count(b"\r\n--" + boundaries[0].encode()) == 3  # two parts, one close
    text = next(parse_bytes(first.data).iter_parts()).get_content()
    assert text.replace("\r\n", "\n") == "--" + "=" * 40 + "\n==\n"  # CRLF: as it arrives over SMTP


@pytest.mark.parametrize(
    "overrides",
    [
        {"to_address": "renée@exämple.it"},  # SMTPUTF8 address: the EmailMessage path negotiates it
        {"to_address": "Mario Rossi <mario@example.org>"},  # not a bare address
        {"details": {"auto_submitted": "auto-replied", "in_reply_to": "<strange id@x>"}},
        {"subject": "Rinnovo " + "x" * 1200},  # a word no space can fold
    ],
)
def test_rows_the_fast_path_does_not_take_go_as_email_message(overrides: dict[str, object]) -> None:
    row = make_row(**overrides)
    assert encode_message(row, MAIL, NOW) is None
    assert isinstance(outgoing(row, MAIL, NOW), EmailMessage)


def test_outgoing_is_bytes_for_an_ordinary_row() -> None:
    mail = outgoing(make_row(), MAIL, NOW)
    assert isinstance(mail, OutgoingMail)


def test_encode_refuses_what_build_refuses() -> None:
    with pytest.raises(ValueError, match="line break"):
        encode_message(make_row(to_address="mario@example.org\nBcc: victim@example.org"), MAIL, NOW)
    for name in ("Rinnovi\r\nBcc: victim@example.org", "Società\nBcc: victim@example.org"):
        injected = MailConfig(from_address="rinnovi@example.it", from_name=name, reply_to=MAIL.reply_to)
        with pytest.raises(ValueError, match="line break"):
            encode_message(make_row(), injected, NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        encode_message(make_row(), MAIL, datetime(2026, 3, 14, 9, 30))
