"""Card numbers out of every place of a raw message (issue 9): headers, names, preambles, broken MIME."""

from __future__ import annotations

import base64
import email
import email.policy
import unicodedata
from email.message import EmailMessage

import pytest

from mailbot.intake.prepare import prepare_raw, read_envelope
from mailbot.understand.mime import parse_message
from mailbot.understand.reading import read_message
from mailbot.understand.redaction.message import NOTE, REDACTED_HEADER, redact_raw_message

CARD = "4111111111111111"
VISA = "4111 1111 1111 1111"


def digits_of(text: str) -> str:
    """Only the digits of ``text`` (NFKC, every script), in order: a card split anyhow shows whole."""
    return "".join(str(unicodedata.decimal(c)) for c in unicodedata.normalize("NFKC", text) if c.isdecimal())


def readings(raw: bytes) -> list[str]:
    """Every text a reader can get out of ``raw``, independently of the redaction's code."""
    out = [raw.decode("latin-1")]
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    for part in parsed.walk():
        for name, value in part.items():
            if part is parsed and name.lower() in ("message-id", "in-reply-to", "references"):
                continue
            out.append(str(value))
        out += [part.preamble or "", part.epilogue or "", str(part.get_filename() or "")]
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            out += [payload.decode("utf-8", "replace"), payload.decode("latin-1")]
        elif isinstance(text := part.get_payload(), str):
            out.append(text)
    msg = parse_message(raw)
    out += [msg.text, msg.subject, msg.from_name, msg.from_address, *msg.forwarded]
    out += [a.filename for a in msg.attachments] + [a.data.decode("utf-8", "replace") for a in msg.attachments]
    envelope = read_envelope(raw)
    out += [envelope.subject or "", envelope.sender or ""]
    return out


def assert_no_card(raw: bytes, card: str = CARD) -> None:
    held = [text for text in readings(raw) if card in digits_of(text)]
    assert not held, held[:3]


def _message(**headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "Mario Rossi <mario@example.it>")
    msg["To"] = "rinnovi@example.it"
    msg["Subject"] = headers.pop("Subject", "Rinnovo")
    msg["Message-ID"] = "<abc@example.it>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    return msg


def test_the_checker_sees_a_card_wherever_it_is() -> None:
    raw = _message(X_Note=f"carta {VISA}").as_bytes()
    with pytest.raises(AssertionError):
        assert_no_card(raw)


@pytest.mark.parametrize(
    "headers",
    [
        {"From": f"Mario {VISA} Rossi <mario@example.it>"},
        {"From": f'"Mario {VISA.replace(" ", ".")}" <mario@example.it>'},
        {"X_Carta": f"numero {VISA}"},
        {"X_Carta": f"numero {VISA.replace(' ', '/')} è mio"},  # non-ASCII: an encoded word
        {"Subject": f"Carta {VISA.replace(' ', '_')}"},
        {"Comments": f"{VISA}"},
        {"X-Mailer": f"Posta {VISA.replace(' ', '-')}"},
    ],
)
def test_headers_are_redacted(headers: dict[str, str]) -> None:
    msg = _message(**headers)
    msg.set_content("ciao\n")
    raw = msg.as_bytes()
    assert CARD in digits_of(str(email.message_from_bytes(raw, policy=email.policy.default)))
    out, found = redact_raw_message(raw)
    assert found
    assert_no_card(out)
    parsed = parse_message(out)
    assert parsed.from_address == "mario@example.it" and parsed.message_id == "abc@example.it"


def test_an_encoded_display_name_is_redacted() -> None:
    encoded = base64.b64encode(f"Mario {VISA}".encode()).decode()
    raw = f"From: =?utf-8?b?{encoded}?= <mario@example.it>\nSubject: x\n\nciao\n".encode()
    out, found = redact_raw_message(raw)
    assert found
    assert_no_card(out)
    assert parse_message(out).from_address == "mario@example.it"


def test_trace_headers_servers_write_are_crossed_out_silently_and_content_id_kept() -> None:
    # Gmail's X-Received: an SMTP id ending in ".<n>.<time in milliseconds>"; "238" and the time read
    # as a Mastercard number passing the Luhn check. Nobody reads these headers: their digits are crossed
    # out where they read as a card (a card planted there by a sender is kept nowhere), and that flags
    # nothing (no "you sent a card number" for a time stamp). Content-ID names the part the HTML shows.
    received = "by 2002:a17:90a:ab8b with SMTP id r3073059pgx.238.1583221844376; Mon, 02 Mar 2020 23:50:45"
    msg = _message(X_Received=received, Received=f"from h.example.org ({VISA}) by mx.example.it")
    msg.set_content("ciao\n")
    msg["Content-ID"] = f"<{CARD}.part@example.it>"  # after set_content, which clears Content-*
    raw = msg.as_bytes()
    out, found = redact_raw_message(raw)
    assert not found and out != raw
    without_content_id = out.replace(f"<{CARD}.part@example.it>".encode(), b"<x@example.it>")
    assert_no_card(without_content_id)
    assert CARD not in digits_of(without_content_id.decode("latin-1"))
    assert b"r3073059pgx.[CARTA RIMOSSA" in out and f"Content-ID: <{CARD}.part@example.it>".encode() in out
    assert prepare_raw(raw).card_found is False


def test_the_identifiers_are_kept_as_they_are() -> None:
    msg = _message(In_Reply_To=f"<{CARD}@example.it>", References=f"<a@b> <{CARD}.1700000000000@example.it>")
    msg.replace_header("Message-ID", f"<{CARD}.1234@example.it>")
    msg.set_content(f"carta {VISA}\n")
    out, found = redact_raw_message(msg.as_bytes())
    assert found
    parsed = parse_message(out)
    assert parsed.message_id == f"{CARD}.1234@example.it"
    assert parsed.in_reply_to == f"{CARD}@example.it"
    assert parsed.references == ["a@b", f"{CARD}.1700000000000@example.it"]
    assert CARD not in digits_of(parsed.text)


@pytest.mark.parametrize(
    "disposition",
    [
        f'attachment; filename="carta {VISA}.pdf"',
        f'attachment; filename="carta_{VISA.replace(" ", "_")}.pdf"',
        "attachment; filename*=utf-8''carta%20" + VISA.replace(" ", "%20") + ".pdf",
        "attachment; filename*0*=utf-8''carta%204111%201111; filename*1*=%201111%201111.pdf",
        'attachment; filename="=?utf-8?q?carta_4111_1111_1111_1111=2Epdf?="',
    ],
)
def test_attachment_names_are_redacted(disposition: str) -> None:
    msg = _message()
    msg.set_content("in allegato\n")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="x.pdf")
    [part] = list(msg.iter_attachments())
    part.replace_header("Content-Disposition", disposition)
    part.set_param("name", f"carta {VISA}.pdf")
    raw = msg.as_bytes()
    assert any(CARD in digits_of(a.filename) for a in parse_message(raw).attachments)
    out, found = redact_raw_message(raw)
    assert found
    assert_no_card(out)
    [attachment] = parse_message(out).attachments
    assert attachment.data == b"%PDF-1.4" and attachment.filename.endswith(".pdf")


def test_preamble_and_epilogue_are_redacted() -> None:
    raw = (
        "From: a@example.it\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
        f"carta {VISA}\n--b\nContent-Type: text/plain\n\nciao\n--b--\nepilogo {VISA.replace(' ', '.')}\n"
    ).encode()
    out, found = redact_raw_message(raw)
    assert found
    assert_no_card(out)
    assert parse_message(out).text.strip() == "ciao"


def test_a_multipart_without_its_boundary_keeps_no_card() -> None:
    inner = base64.encodebytes(f"la carta è {VISA}\n".encode()).decode()
    raw = (
        "From: a@example.it\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=NOPE\n\n"
        "--real\nContent-Type: text/plain\n\n"
        f"carta {VISA}\n"
        "--real\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        f"{inner}--real--\n"
    ).encode()
    out, found = redact_raw_message(raw)
    assert found
    assert_no_card(out)
    block = out.decode().split("base64\n\n")[1].split("--real--")[0]
    assert base64.b64decode(block).decode() == "la carta è [CARTA RIMOSSA ****1111]\n"


def test_a_forwarded_message_is_redacted_headers_included() -> None:
    inner = _message(Subject=f"carta {VISA}", X_Carta=VISA)
    inner.set_content(f"inoltro {VISA.replace(' ', '-')}\n")
    outer = _message()
    outer.set_content("vedi sotto\n")
    outer.add_attachment(inner)
    out, found = redact_raw_message(outer.as_bytes())
    assert found
    assert_no_card(out)


def test_a_transfer_encoded_attached_message_is_read_as_a_message() -> None:
    inner = base64.encodebytes(f"From: x@y.it\nSubject: carta {VISA}\n\ncorpo {VISA}\n".encode()).decode()
    raw = (
        "From: a@example.it\nSubject: x\nMIME-Version: 1.0\nContent-Type: message/rfc822\n"
        f"Content-Transfer-Encoding: base64\n\n{inner}"
    ).encode()
    out, found = redact_raw_message(raw)
    assert found
    decoded = email.message_from_bytes(out, policy=email.policy.default)
    payload = decoded.get_payload(decode=True)
    inner_bytes = payload if isinstance(payload, bytes) else decoded.as_bytes()
    assert CARD not in digits_of(inner_bytes.decode("latin-1"))


def test_a_card_in_a_text_attachment_and_a_text_file_sent_as_binary() -> None:
    msg = _message()
    msg.set_content("in allegato\n")
    msg.add_attachment(f"numero;{VISA}\n".encode(), maintype="text", subtype="csv", filename="a.csv")
    msg.add_attachment(f"numero {VISA}\n".encode(), maintype="application", subtype="octet-stream", filename="b.txt")
    out, found = redact_raw_message(msg.as_bytes())
    assert found
    assert_no_card(out)


def test_a_card_only_shown_once_the_parts_are_joined_leaves_the_headers_alone() -> None:
    raw = (
        b"From: a@example.it\nSubject: x\nMessage-ID: <m@example.it>\nMIME-Version: 1.0\n"
        b"Content-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\ncarta 4111 1111\n"
        b"--b\nContent-Type: text/plain\n\n1111 1111 grazie\n--b--\n"
    )
    assert CARD in digits_of(parse_message(raw).text)
    out, found = redact_raw_message(raw)
    assert found
    assert_no_card(out)
    parsed = parse_message(out)
    assert parsed.text.strip() == NOTE.strip() and parsed.header(REDACTED_HEADER)
    assert (parsed.message_id, parsed.from_address, parsed.subject) == ("m@example.it", "a@example.it", "x")


def test_card_digits_in_a_binary_part_written_plainly_are_crossed_out() -> None:
    raw = (
        "From: a@example.it\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
        "--b\nContent-Type: text/plain\n\nciao\n"
        f"--b\nContent-Type: application/x-foo\nContent-Transfer-Encoding: 8bit\n\ndati {VISA} fine\n--b--\n"
    ).encode()
    out, found = redact_raw_message(raw)
    assert found
    assert_no_card(out)
    assert b"dati XXXX XXXX XXXX 1111 fine" in out and parse_message(out).text.strip() == "ciao"


def test_python_and_javamail_boundaries_are_no_card_numbers() -> None:
    # A 19-digit boundary of Python's email package and a JavaMail one ending in a time in milliseconds,
    # both passing the Luhn check, written in the boundary lines as well.
    for boundary in ("===============1234567890123456782==", "----=_Part_0_123456789.4111111111111111"):
        raw = (
            "From: a@example.it\nSubject: x\nMIME-Version: 1.0\n"
            f'Content-Type: multipart/alternative; boundary="{boundary}"\n\n'
            f"--{boundary}\nContent-Type: text/plain\n\nciao\n--{boundary}--\n"
        ).encode()
        assert redact_raw_message(raw) == (raw, False)


def test_stored_and_read_copies_agree() -> None:
    msg = _message(Subject=f"carta {VISA}")
    msg.set_content(f"numero {VISA.replace(' ', chr(9))}\n")
    msg.add_alternative("<p>4111<span> 1111</span>&nbsp;1111<br>1111</p>", subtype="html")
    prepared = prepare_raw(msg.as_bytes())
    assert prepared.card_found
    assert_no_card(prepared.redacted)
    reading = read_message(prepared.redacted, redacted=True, parsed=prepared.parsed)
    assert not reading.card_number_detected  # nothing left to find in what is stored
    assert prepared.envelope.subject == "carta [CARTA RIMOSSA ****1111]"


@pytest.mark.parametrize(
    "raw",
    [
        # A body line that only looks like a machine header, in a binary part and in a text part whose
        # base64 is not base64.
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nciao\n'
        f"--b\nContent-Type: application/octet-stream\n\nReceived: {VISA}\n--b--\n",
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n'
        f"Content-Transfer-Encoding: base64\n\nReceived: {VISA}\n--b--\n",
        # A body line that only starts like a delimiter of a boundary made of digits.
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="4111"\n\n--4111\n'
        f"Content-Type: application/octet-stream\n\n--{VISA}\n--4111--\n",
    ],
    ids=["machine-header-in-a-binary-body", "machine-header-in-a-bad-base64-body", "boundary-prefix-in-a-body"],
)
def test_what_only_looks_like_a_kept_header_or_boundary_is_redacted(raw: str) -> None:
    """Machine headers are kept only in header blocks, boundaries only on delimiter lines and in
    ``boundary=``: a body line shaped like them is text like any other."""
    message = f"From: a@example.it\nMessage-ID: <x@example.it>\nSubject: s\n{raw}".encode()
    out, found = redact_raw_message(message)
    assert found
    assert CARD not in digits_of(out.decode("latin-1").replace("4111--", "").replace("--4111\n", "\n"))
