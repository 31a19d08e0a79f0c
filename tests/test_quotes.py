"""split_reply: the customer's words, apart from quoted copies and signatures."""

from __future__ import annotations

import pytest

from mailbot.understand.quotes import split_reply

NEW = "Buongiorno,\nil CIG è Z213346E34.\n\nCordiali saluti\nMario Rossi"

HEADERS = [
    "Il giorno lun 4 mar 2024 alle ore 10:15 Rinnovi <rinnovi@provider.example> ha scritto:",
    "Il 04/03/2024 10:15, Rinnovi ha scritto:",
    'In data 4 marzo 2024 10:15:31 "Rinnovi" <rinnovi@provider.example> ha scritto:',
    "-----Messaggio originale-----\nDa: Rinnovi [mailto:rinnovi@provider.example]\nInviato: lunedì 4 marzo 2024",
    "-----Original Message-----",
    "Da: Rinnovi <rinnovi@provider.example>\nInviato: lunedì 4 marzo 2024 10:15\nA: Comune\nOggetto: Rinnovo",
    "________________________________\nFrom: Rinnovi <rinnovi@provider.example>\nSent: Monday\nTo: x\nSubject: Rinnovo",
    "*From:* Rinnovi\n*Sent:* 2024-03-04\n*To:* info@x.it\n*Subject:* Rinnovo",
    "On Mon, Mar 4, 2024 at 10:15 AM Rinnovi <rinnovi@provider.example> wrote:",
    "On Mon, Mar 4, 2024 at 10:15 AM Rinnovi Servizi Cloud <\nrinnovi@provider.example> wrote:",
    "Le lun. 4 mars 2024 à 10:15, Rinnovi <rinnovi@provider.example> a écrit :",
    "Am 04.03.2024 um 10:15 schrieb Rinnovi <rinnovi@provider.example>:",
    "---------- Forwarded message ---------",
]
QUOTED = "> Gentile cliente, il CIG indicato era 1234567ABC.\n> Ordine ORD-2024-000123"


@pytest.mark.parametrize("header", HEADERS)
def test_cut_at_reply_header(header: str) -> None:
    parts = split_reply(f"{NEW}\n\n{header}\n\n{QUOTED}\n")
    assert parts.new_text == NEW
    assert parts.quoted.startswith(header.split("\n")[0].strip()[:12])
    assert "1234567ABC" in parts.quoted and "1234567ABC" not in parts.new_text


def test_plain_gt_quote_without_header() -> None:
    parts = split_reply(f"Ok grazie\n{QUOTED}\n")
    assert parts.new_text == "Ok grazie" and parts.quoted == QUOTED


def test_signature_dash_block_and_mobile_footer() -> None:
    parts = split_reply(f"{NEW}\n-- \nMario Rossi\nComune di Esempio\nC.F. 80012345678\n")
    assert parts.new_text == NEW and parts.signature.startswith("-- ") and "80012345678" in parts.signature
    mobile = split_reply("Confermo il rinnovo per 2 anni.\n\nInviato da iPhone\n\n> quoted")
    assert mobile.new_text == "Confermo il rinnovo per 2 anni." and mobile.signature == "Inviato da iPhone"
    sent = split_reply("Yes please renew.\n\nSent from my Galaxy")
    assert sent.new_text == "Yes please renew." and sent.signature == "Sent from my Galaxy"


def test_no_quote_keeps_everything() -> None:
    text = "Il rinnovo l'ho scritto io: procedete.\nHo scritto al vostro ufficio ieri."
    assert split_reply(text).new_text == text
    assert split_reply(text).quoted == "" and split_reply(text).signature == ""


def test_bottom_posted_reply() -> None:
    parts = split_reply("On 04/02/2012 06:26 PM, Megan wrote:\n> Hi\n\nHello\n")
    assert parts.new_text == "Hello" and "> Hi" in parts.quoted


def test_crlf_input() -> None:
    parts = split_reply("Si\r\n\r\nIl 04/03/2024 10:15, Rinnovi ha scritto:\r\n> vecchio\r\n")
    assert parts.new_text == "Si" and parts.quoted.endswith("> vecchio")


@pytest.mark.parametrize(
    "answer",
    [
        "please turn off the auto renewal. I will renew for 2 years by transfer.\nLars Olsen",
        "rinnovate per 2 anni, grazie\nMario",
        "Order ORD-2026-000811: please renew it.",
    ],
)
def test_a_line_with_a_digit_above_a_quoted_header_is_the_answer(answer: str) -> None:
    """A quoted "> On ... wrote:" is no wrapped header of the line above it, even when that line
    holds a digit, as a wrapped header's first line does."""
    text = f"Hi,\n{answer}\n> On 25 Nov 2026, rinnovi@example.it wrote:\n> Your service expires soon."
    parts = split_reply(text)
    assert parts.new_text == f"Hi,\n{answer}"
    assert parts.quoted.startswith("> On 25 Nov 2026")


def test_a_wrapped_header_is_still_cut_whole() -> None:
    text = "Renew please.\n\nOn Mon, 1 Dec 2026 at 10:00, Rinnovi\n<rinnovi@example.it> wrote:\n> old text"
    parts = split_reply(text)
    assert parts.new_text == "Renew please."
    assert parts.quoted.startswith("On Mon, 1 Dec 2026")
