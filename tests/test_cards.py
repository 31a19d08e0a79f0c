"""Card numbers: detection, redaction in text, and redaction inside raw MIME messages."""

from __future__ import annotations

import base64
import email
import email.policy
from email.message import EmailMessage

import pytest
from stdnum import iban, luhn

from mailbot.understand.cards.find import find_card_numbers, redact_html, redact_text
from mailbot.understand.htmltext import html_to_text
from mailbot.understand.mime import parse_message
from mailbot.understand.redaction.message import redact_raw_message
from tests.support.tnef import build_tnef, embedded_message, outlook, winmail_part

VISA = "4111 1111 1111 1111"
MASK = "[CARTA RIMOSSA ****1111]"
NOT_LUHN = "4111 1111 1111 1112"
# A valid IBAN whose digit groups, taken alone, read as a card number (a Visa passing the Luhn check):
# the trap for a naive detector.
TRAP_IBAN = "DE50 4485 0695 0699 2057 55"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"la mia carta è {VISA}, scadenza 12/27", f"la mia carta è {MASK}, scadenza 12/27"),
        ("4111-1111-1111-1111", MASK),
        ("4111111111111111.", f"{MASK}."),
        ("Amex 3782 822463 10005", "Amex [CARTA RIMOSSA ****0005]"),
        ("Visa 13: 4222222222222", "Visa 13: [CARTA RIMOSSA ****2222]"),
        ("19 cifre 6011 1111 1111 1111 110", "19 cifre [CARTA RIMOSSA ****1110]"),
        ("4111&nbsp;1111&nbsp;1111&nbsp;1111", MASK),
        ("4111\u00a01111\u00a01111\u00a01111", MASK),
        (
            "5555 5555 5555 4444 oppure 4012888888881881",
            "[CARTA RIMOSSA ****4444] oppure [CARTA RIMOSSA ****1881]",
        ),
    ],
)
def test_cards_are_masked_keeping_the_last_four_digits(text: str, expected: str) -> None:
    assert redact_text(text) == (expected, True)


@pytest.mark.parametrize(
    "text",
    [
        f"numero {NOT_LUHN}",  # 16 digits failing Luhn
        f"IBAN: {TRAP_IBAN}",
        "IBAN: IT60 X054 2811 1010 0000 0123 456",
        "IBAN: IT60X0542811101000000123456",
        "CRO 12345678901",
        "TRN: 0306912345678901234567890IT",
        "ordine ORD-2024-000123",
        "tel. +39 333 123 4567 890",
        "chiamare 0039 3331234567",
        "dal 2024-01-15 2024-02-15",
        "numero 41111111111111111111",  # 20 digits
    ],
)
def test_numbers_that_are_not_cards_stay(text: str) -> None:
    assert redact_text(text) == (text, False)
    assert find_card_numbers(text) == []


def test_the_trap_iban_really_is_a_trap() -> None:
    digits = TRAP_IBAN.split(" ", 1)[1]
    assert iban.is_valid(TRAP_IBAN)
    assert find_card_numbers(digits) != []  # alone, its digits look like a card


def test_non_luhn_fixture_really_fails_luhn() -> None:
    assert not luhn.is_valid(NOT_LUHN.replace(" ", ""))
    assert luhn.is_valid(VISA.replace(" ", ""))


def test_card_right_after_an_iban_is_still_found() -> None:
    text = f"IBAN IT60 X054 2811 1010 0000 0123 456 carta {VISA}"
    redacted, found = redact_text(text)
    assert found and redacted == f"IBAN IT60 X054 2811 1010 0000 0123 456 carta {MASK}"


def test_spans_point_at_the_card() -> None:
    text = f"carta: {VISA} grazie"
    [(start, end)] = find_card_numbers(text)
    assert text[start:end] == VISA


def _message(body: str, *, cte: str, subject: str = "Rinnovo", html: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Mario Rossi <mario@example.it>"
    msg["To"] = "rinnovi@example.it"
    msg["Subject"] = subject
    msg["Message-ID"] = "<4111111111111111.1234@example.it>"
    msg.set_content(body, cte=cte)
    if html is not None:
        msg.add_alternative(html, subtype="html", cte=cte)
        msg.set_boundary("==part-boundary==")  # a random one may hold "4111", which the checks look for
    return msg.as_bytes()


def _texts(raw: bytes) -> list[str]:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return [part.get_content() for part in msg.walk() if part.get_content_maintype() == "text"]


@pytest.mark.parametrize("cte", ["base64", "quoted-printable", "8bit"])
def test_raw_message_bodies_are_redacted_in_their_encoding(cte: str) -> None:
    raw = _message(f"Ecco la carta: {VISA} — grazie, è tutto\n", cte=cte, html=f"<p>Carta <b>{VISA}</b> è</p>\n")
    out, found = redact_raw_message(raw)
    assert found
    texts = _texts(out)
    assert texts == [f"Ecco la carta: {MASK} — grazie, è tutto\n", f"<p>Carta <b>{MASK}</b> è</p>\n"]
    assert b"4111" not in out.replace(b"<4111111111111111.1234@example.it>", b"")
    out_msg = email.message_from_bytes(out, policy=email.policy.default)
    assert [part["Content-Transfer-Encoding"] for part in out_msg.walk() if not part.is_multipart()] == [cte, cte]
    assert out_msg["Message-ID"] == "<4111111111111111.1234@example.it>"  # identifiers are never touched


def test_the_card_was_really_hidden_by_the_encoding() -> None:
    raw = _message(f"carta {VISA}\n", cte="base64")
    assert VISA.encode() not in raw  # so only decoding finds it
    out, found = redact_raw_message(raw)
    assert found and _texts(out) == [f"carta {MASK}\n"]


def test_subject_is_redacted_even_when_encoded() -> None:
    raw = _message("niente qui\n", cte="7bit", subject=f"Cambio carta {VISA} è urgente")
    assert b"=?utf-8?" in raw
    out, found = redact_raw_message(raw)
    msg = email.message_from_bytes(out, policy=email.policy.default)
    assert found and msg["Subject"] == f"Cambio carta {MASK} è urgente"
    assert _texts(out) == ["niente qui\n"]


def test_message_without_cards_comes_back_byte_identical() -> None:
    raw = _message(f"numero {NOT_LUHN}, IBAN {TRAP_IBAN}, CRO 12345678901\n", cte="quoted-printable")
    raw = raw.replace(b"\n", b"\r\n")
    assert redact_raw_message(raw) == (raw, False)


def test_crlf_line_endings_are_kept() -> None:
    raw = _message(f"carta {VISA}\n", cte="quoted-printable").replace(b"\n", b"\r\n")
    out, found = redact_raw_message(raw)
    assert found and b"\r\n" in out and b"\n" not in out.replace(b"\r\n", b"")


def test_unknown_charset_falls_back_to_the_bytes() -> None:
    raw = (
        b"From: a@example.it\nSubject: x\nMIME-Version: 1.0\n"
        b"Content-Type: text/plain; charset=x-unknown-charset\nContent-Transfer-Encoding: 8bit\n\n"
        b"carta \xe8 4111 1111 1111 1111 \xff\n"
    )
    out, found = redact_raw_message(raw)
    assert found
    assert out.endswith(b"carta \xe8 " + MASK.encode() + b" \xff\n")


def test_wrong_declared_charset_is_handled() -> None:
    raw = (
        b"From: a@example.it\nSubject: x\nMIME-Version: 1.0\n"
        b"Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 8bit\n\n"
        + "carta è 4111-1111-1111-1111\n".encode()
    )
    out, found = redact_raw_message(raw)
    assert found and out.endswith("carta è ".encode() + MASK.encode() + b"\n")


def test_latin1_quoted_printable_part() -> None:
    msg = EmailMessage()
    msg["Subject"] = "carta"
    msg.set_content(f"però {VISA}\n", charset="iso-8859-1", cte="quoted-printable")
    out, found = redact_raw_message(msg.as_bytes())
    assert found and _texts(out) == [f"però {MASK}\n"]
    assert b"per=F2 " in out  # still latin-1 quoted-printable


def test_forwarded_message_and_text_attachment() -> None:
    inner = EmailMessage()
    inner["Subject"] = f"carta {VISA}"
    inner.set_content(f"inoltro {VISA}\n")
    outer = EmailMessage()
    outer["Subject"] = "Fwd"
    outer.set_content("vedi sotto\n")
    outer.add_attachment(inner)
    outer.add_attachment(f"numero,{VISA}\n".encode(), maintype="text", subtype="csv", filename="dati.csv")
    out, found = redact_raw_message(outer.as_bytes())
    assert found
    assert b"4111 1111" not in out
    parsed = email.message_from_bytes(out, policy=email.policy.default)
    subjects = [part["Subject"] for part in parsed.walk() if part["Subject"]]
    assert subjects == ["Fwd", f"carta {MASK}"]


def test_malformed_mime_does_not_crash() -> None:
    raw = (
        b'Content-Type: multipart/mixed; boundary="b"\nSubject: carta 4111 1111 1111 1111\n\n'
        b"--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        b"Y2FydGEgNDExMSAxMTExIDExMTEgMTExMQo===!!\n"  # broken base64, missing end boundary
        b"--b\nContent-Type: text/html\n\n<p>4111-1111-1111-1111"
    )
    out, found = redact_raw_message(raw)
    assert found
    assert b"4111" not in out


def test_garbage_bytes_without_cards_are_returned_as_they_are() -> None:
    raw = b"\x00\xff\xfe not a message at all \r\n\r\n\x80\x81 12345"
    assert redact_raw_message(raw) == (raw, False)


def test_undeclared_8bit_subject_is_redacted() -> None:
    raw = b"From: a@example.it\nSubject: carta \xe8 4111 1111 1111 1111\nMessage-ID: <4111111111111111@x>\n\ncorpo\n"
    out, found = redact_raw_message(raw)
    assert found
    assert b"4111 1111" not in out and MASK.encode() in out
    assert b"Message-ID: <4111111111111111@x>" in out


PDF = b"%PDF-1.4 modulo firmato"


def _decoded_parts(raw: bytes) -> list[bytes]:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    payloads = [p.get_payload(decode=True) for p in parsed.walk() if not p.is_multipart()]
    return [p if isinstance(p, bytes) else b"" for p in payloads]


def test_winmail_with_a_card_is_replaced_by_its_text_and_files_redacted() -> None:
    tnef = build_tnef(
        body=f"Nuova carta {VISA}, utente pbruni", files=[("modulo.pdf", PDF), ("nota.txt", VISA.encode())]
    )
    raw = outlook(b"--b\nContent-Type: text/plain\n\nin allegato\n", winmail_part(tnef))
    out, found = redact_raw_message(raw)
    assert found and redact_raw_message(raw) == (out, True)  # the same bytes every time
    assert b"4111" not in out and not any(b"4111" in part for part in _decoded_parts(out))
    assert tnef not in _decoded_parts(out) and b"X-Mailbot-Winmail: redacted" in out
    msg = parse_message(out)
    assert msg.text.strip() == "in allegato" and msg.defects == []
    assert [(a.filename, a.content_type, a.data) for a in msg.attachments] == [
        ("winmail.txt", "text/plain", f"Nuova carta {MASK}, utente pbruni\n".encode()),
        ("modulo.pdf", "application/pdf", PDF),
        ("nota.txt", "text/plain", MASK.encode()),
    ]
    assert redact_raw_message(out) == (out, False)  # the substitute is never opened again


def test_winmail_that_is_the_whole_message_keeps_the_headers() -> None:
    tnef = build_tnef(html=f"<p>Carta {VISA.replace(' ', '&nbsp;')}</p>")
    raw = b"From: a@example.it\nSubject: carta\nMIME-Version: 1.0\nContent-Type: application/ms-tnef\n"
    out, found = redact_raw_message(raw + b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(tnef))
    assert found and not any(b"4111" in part for part in _decoded_parts(out))
    msg = parse_message(out)
    assert (msg.from_address, msg.subject, msg.text.strip()) == ("a@example.it", "carta", f"Carta {MASK}")


def test_undecodable_winmail_with_card_digits_is_replaced() -> None:
    garbage = b"\x00\x01 not TNEF " + VISA.encode() + b" \xff"
    out, found = redact_raw_message(outlook(winmail_part(garbage)))
    assert found and not any(b"4111" in part for part in _decoded_parts(out))
    assert [a.filename for a in parse_message(out).attachments] == ["winmail.txt"]


def test_winmail_without_a_card_is_left_byte_identical() -> None:
    raw = outlook(winmail_part(build_tnef(body="Rinnovo, ordine 2024000123", files=[("modulo.pdf", PDF)])))
    assert redact_raw_message(raw) == (raw, False)


def test_attached_message_with_a_card_becomes_its_redacted_text() -> None:
    inner = build_tnef(body=f"Carta {VISA}")
    tnef = build_tnef(body="Vedi il messaggio allegato", files=[("x\x1ey.pdf", PDF)]) + embedded_message(
        inner, "Re.msg"
    )
    out, found = redact_raw_message(outlook(winmail_part(tnef)))
    assert found and not any(b"4111" in part for part in _decoded_parts(out))
    msg = parse_message(out)
    assert msg.text.strip() == "Vedi il messaggio allegato"
    assert [(a.filename, a.data) for a in msg.attachments] == [
        ("winmail.txt", b"Vedi il messaggio allegato\n"),
        ("x_y.pdf", PDF),  # a record separator (a line break to the generator) made safe
        ("Re.msg.txt", f"Carta {MASK}".encode()),
    ]


# Issue 9: every way people (and their mail programs) split the digits of a card.
SPLIT_CARDS = [
    "4111.1111.1111.1111",
    "4111/1111/1111/1111",
    "4111_1111_1111_1111",
    "4111  1111  1111  1111",  # double spaces
    "4111\t1111\t1111\t1111",
    "4111 1111\n1111 1111",  # a line wrap
    "4111 1111\r\n> 1111 1111",  # a line wrap in a quoted reply
    "4111 - 1111 - 1111 - 1111",
    "4111\u20131111\u20131111\u20131111",  # en dashes
    "4111\u200b1111\u200b1111\u200b1111",  # zero-width spaces
    "\uff14\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11",  # full width
    "\uff14\uff11\uff11\uff11\u3000\uff11\uff11\uff11\uff11\u3000\uff11\uff11\uff11\uff11\u3000\uff11\uff11\uff11\uff11",
    "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
    "41 11 11 11 11 11 11 11",
]


@pytest.mark.parametrize("card", SPLIT_CARDS)
def test_cards_split_every_way_are_masked(card: str) -> None:
    redacted, found = redact_text(f"la carta: {card} grazie")
    assert found and redacted == f"la carta: {MASK} grazie"


HTML_SPLIT_CARDS = [
    "<span>4111</span><span>1111</span><span>1111</span><span>1111</span>",
    '4111</span>\n  <span style="font-size:11.0pt;color:#1F497D">1111</span> 1111<b>1111</b>',
    "4111<br>1111<br>1111<br>1111",
    "<td>4111</td><td>1111</td><td>1111</td><td>1111</td>",
    "4111&nbsp;1111&#160;1111&#xA0;1111",
    "&#52;&#49;&#49;&#49; &#x31;111 1111 1111",  # digits written as character references
]


@pytest.mark.parametrize("html", HTML_SPLIT_CARDS)
def test_cards_split_by_html_are_masked(html: str) -> None:
    redacted, found = redact_html(f"<p>carta {html} grazie</p>")
    assert found
    assert MASK in redacted and "1111 1111" not in redacted
    assert _digits_only(html_to_text(redacted)).count("1111") <= 1  # only the last four digits remain


def test_html_structure_between_the_groups_is_kept() -> None:
    redacted, found = redact_html("<table><tr><td>4111</td><td>1111</td><td>1111</td><td>1111</td></tr></table>")
    assert found and redacted.count("<td>") == 4 and redacted.count("</td>") == 4


def test_a_card_on_the_line_after_a_phone_number_is_found() -> None:
    redacted, found = redact_text(f"tel. +39 333 1234567\n{VISA}")
    assert found and redacted == f"tel. +39 333 1234567\n{MASK}"


MORE_NOT_CARDS = {  # and why
    "periodo 30/01/2024 - 15/02/2024": "a list of dates",
    "dal 30.01.2024 15.02.2024": "a list of dates",
    "tel. +49 30 123456786": "an international phone number",
    "tel. + 49 30 123456786": "an international phone number, a space after the +",
    f"IBAN: {TRAP_IBAN.replace(' ', chr(10), 1)}": "an IBAN wrapped after its country code",
    "ora 1751047312688": "epoch milliseconds: no scheme issues 13 digits from 1",
    "id a9mr64520715ab.7.1751047312683; Fri": "the SMTP id of a Google X-Received header",
    "2017.04.29-192.0.2.225 20170429233445": "a date, an address, a date and time",
    "2222 1111 1111 1112": "fails the Luhn check",
    "https://x.example.com/t/1579/1264/0/4531494/9012/52879/9c": "the numbers of a web address's path",
}


@pytest.mark.parametrize("text", MORE_NOT_CARDS)
def test_more_numbers_that_are_not_cards_stay(text: str) -> None:
    assert redact_text(text) == (text, False)


def test_the_dates_and_phone_numbers_would_be_cards_without_their_rules() -> None:
    # Diners (30) numbers of 16 digits, a 13-digit Visa (4): only the date and phone rules keep them.
    assert luhn.is_valid("3001202415022024") and luhn.is_valid("4930123456786")
    assert luhn.is_valid("1751047312688")  # only the issuers' ranges keep it out


@pytest.mark.parametrize(
    "card",
    [
        "4222222222222",
        "5555555555554444",
        "2223000048400011",
        "378282246310005",
        "30569309025904",
        "3530111333300000",
        "6011111111111117",
        "6200000000000005",
        "6759649826438453",
        "2200000000000004",
    ],
)
def test_every_scheme_is_a_card(card: str) -> None:
    assert redact_text(f"carta {card}") == (f"carta [CARTA RIMOSSA ****{card[-4:]}]", True)


def test_a_digit_run_glued_to_letters_is_not_a_card() -> None:
    assert redact_text("TRN0306912345678901234567890IT e X4111111111111111") == (
        "TRN0306912345678901234567890IT e X4111111111111111",
        False,
    )


def _digits_only(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())
