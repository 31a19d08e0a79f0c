"""Address headers are parsed before their encoded words are decoded: a display name cannot smuggle in
the address a message is from, or the address a reply goes to."""

from __future__ import annotations

import base64

from mailbot.intake.prepare import read_envelope
from mailbot.understand.mime import parse_message


def _b64(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def test_an_encoded_display_name_is_never_read_as_an_address() -> None:
    """RFC 2047, section 5: an encoded word is a name, never address syntax. Decoding the header first
    made ``=?utf-8?b?(Mario <cliente@example.org>)?= <x@attacker.example>`` a message from the
    customer, and a Reply-To display name holding ``<victim@...>,`` the address the reply went to."""
    raw = (
        f"From: {_b64('Mario <cliente@example.org>')} <x@attacker.example>\r\n"
        f"Reply-To: {_b64('Boss <victim@example.org>,')}\r\n <x@attacker.example>\r\n"
        f"To: {_b64('Rinnovi <rinnovi+abc@example.it>')} <rinnovi@example.it>\r\n"
        "Subject: hi\r\nMessage-ID: <e1@attacker.example>\r\n\r\nbody\r\n"
    ).encode()
    message = parse_message(raw)
    assert (message.from_address, message.from_name) == ("x@attacker.example", "Mario <cliente@example.org>")
    assert message.reply_to == ["x@attacker.example"]
    assert message.to_addresses == ["rinnovi@example.it"]
    assert read_envelope(raw).sender == "x@attacker.example"
    latin = b"From: Citt\xe0 di Prova <comune@example.it>\r\nSubject: x\r\n\r\nbody\r\n"  # raw 8-bit, cp1252
    assert (parse_message(latin).from_name, parse_message(latin).from_address) == (
        "Città di Prova",
        "comune@example.it",
    )
    assert read_envelope(latin).sender == "comune@example.it"
