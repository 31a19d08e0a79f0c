"""understand(): bytes in, Understanding out, with the real parsing pieces and the shipped rules."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from mailbot.understand.extract.fields import extract_fields
from mailbot.understand.reading import (
    decide,
    is_own_copy,
    merge,
    read_message,
    to_json,
    understand,
    with_rule_checks,
)
from mailbot.understand.rules import CUSTOMER_KINDS, RuleSet
from tests.support.reading import counting_prechecks
from tests.support.tnef import build_tnef, outlook, winmail_part

OWN = frozenset({"rinnovi@example.it"})


def mail(body: str, *, subject: str = "Re: Promemoria", extra: str = "", sender: str = "c@client.example.org") -> bytes:
    return (
        f"From: Cliente <{sender}>\nTo: rinnovi+t1@example.it\nSubject: {subject}\n"
        f"Message-ID: <m1@client.example.org>\n{extra}Content-Type: text/plain; charset=utf-8\n\n{body}"
    ).encode()


QUOTED = (
    "\nIl giorno 31 mag 2024 Servizio rinnovi <rinnovi@example.it> ha scritto:\n"
    "> Ordine ORD-2024-000999, CIG 8814006BD6, IBAN IT60X0542811101000000123456\n"
)


def test_contract_keys_and_types(rules: RuleSet) -> None:
    got = to_json(understand(mail("Vorrei rinnovare per 2 anni, CIG 8814006BD6"), rules), "a.eml")
    assert list(got) == [
        "file",
        "message_id",
        "sender",
        "kind",
        "bounce",
        "intent",
        "intents",
        "fields",
        "invalid",
        "card_number_detected",
        "needs_review",
        "reply_text",
        "rules",
    ]
    assert got["file"] == "a.eml" and got["message_id"] == "m1@client.example.org"
    assert got["sender"] == "c@client.example.org" and got["kind"] == "human" and got["bounce"] is None
    # Two requests: a renewal for two years, and a PA's CIG for its order (the stronger rule, the main intent).
    assert got["intent"] == "pa_billing_details" and got["intents"] == ["renewal_request", "pa_billing_details"]
    assert got["fields"] == {"years": 2, "cig": ["8814006BD6"]}
    assert isinstance(got["rules"], list) and {"rule", "intent", "priority", "hit", "why"} == set(got["rules"][0])


def test_fields_from_new_text_never_from_quoted_copy(rules: RuleSet) -> None:
    u = understand(mail("Procedete pure con il rinnovo per un anno." + QUOTED), rules)
    assert u.intent == "renewal_request"
    assert dict(u.fields) == {"years": 1}
    assert "8814006BD6" not in u.reading.new_text


def test_card_number_redacted_everywhere(rules: RuleSet) -> None:
    raw = mail("La nuova carta: 5555-5555-5555-4444, cambiatela voi.")
    u = understand(raw, rules)
    assert u.reading.card_number_detected and u.needs_review
    assert b"5555-5555-5555-4444" not in u.reading.raw and b"4444" in u.reading.raw  # the mask keeps 4 digits
    assert "5555" not in u.reading.new_text and "4444" in u.reading.new_text
    assert "card number sent by email" in u.review_reasons


def test_card_number_in_base64_body_redacted_in_raw(rules: RuleSet) -> None:
    raw = (
        b"From: c@client.example.org\nSubject: carta\nContent-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: base64\n\nTnVvdmEgY2FydGEgNDExMSAxMTExIDExMTEgMTExMQ==\n"
    )  # "Nuova carta 4111 1111 1111 1111"
    u = understand(raw, rules)
    assert u.reading.card_number_detected
    assert (
        "4111 1111" not in u.reading.message.text and b"TnVvdmEgY2FydGEgNDExMSAxMTExIDExMTEgMTExMQ" not in u.reading.raw
    )


def test_card_number_inside_winmail_dat(rules: RuleSet) -> None:
    """Outlook's winmail.dat gives the text; its card number is detected and masked in what is shown, in
    the raw copy to store and in the attachments to store (the part is replaced, see cards.py)."""
    body = "Vorrei cambiare la carta del rinnovo automatico: 4111 1111 1111 1111 scad. 09/27.\r\nUtente: pbruni"
    raw = outlook(winmail_part(build_tnef(body=body, files=[("modulo.pdf", b"%PDF-1.4")])))
    u = understand(raw, rules, own_addresses=OWN)
    reading = u.reading
    assert reading.card_number_detected and "card number sent by email" in u.review_reasons
    assert u.intent == "card_change" and u.fields == {"username": "pbruni"}
    assert reading.new_text.startswith("Vorrei cambiare la carta del rinnovo automatico: [CARTA RIMOSSA ****1111]")
    assert "4111" not in to_json(u, "w.eml")["reply_text"]
    parsed = email.message_from_bytes(reading.raw, policy=email.policy.default)
    assert not any(b"4111" in (part.get_payload(decode=True) or b"") for part in parsed.walk())
    assert [a.filename for a in reading.message.attachments] == ["winmail.txt", "modulo.pdf"]
    assert not any(b"4111" in a.data for a in reading.message.attachments)  # what store_attachments keeps
    assert read_message(reading.raw, redacted=True).new_text == reading.new_text


def test_machines_are_recorded_never_reviewed(rules: RuleSet) -> None:
    raw = mail(
        "Sono fuori sede. Disdetta? CIG 8814006BD6",
        subject="Risposta automatica: x",
        extra="Auto-Submitted: auto-replied\n",
    )
    u = understand(raw, rules)
    assert (u.reading.kind, u.intent, u.rule, dict(u.fields)) == ("auto_reply", "other", "machine_mail", {})
    assert not u.needs_review and u.review_reasons == ()


def test_customer_kind_reaches_the_rules(rules: RuleSet) -> None:
    reading = read_message(mail("Per la scissione dei pagamenti seguirà comunicazione."))
    assert decide(reading, rules).intent == "other"
    pa = decide(reading, rules, customer_kind="pa")
    assert (pa.intent, pa.rule, pa.confidence) == ("pa_billing_details", "pa_split_payment", 0.7)
    assert "confidence 0.70 below 0.80" in pa.review_reasons


def test_review_threshold_and_invalid_values(rules: RuleSet) -> None:
    reading = read_message(mail("Potete mandarmi la copia della fattura dell'ordine ORD-2024-000123?"))
    assert decide(reading, rules).needs_review is False  # invoice_request at 0.85, a ticket anyway
    strict = decide(reading, rules, review_threshold=0.9)
    assert strict.review_reasons == ("confidence 0.85 below 0.90",)
    bad = decide(read_message(mail("Copia della fattura dell'ordine ORD-2024-12 per favore")), rules)
    assert bad.intent == "invoice_request" and [v.field for v in bad.invalid] == ["order_number"]
    assert bad.needs_review and bad.review_reasons == ("invalid values: order_number",)


def test_winning_rule_chooses_the_fields(rules: RuleSet) -> None:
    body = "Vorrei rinnovare per 2 anni.\nMario Rossi\nPEC: mario@pec.example.it\n"
    u = understand(mail(body), rules)
    assert u.intent == "renewal_request" and dict(u.fields) == {"years": 2}  # the signature's PEC is not asked for
    assert "pec" in u.reading.fields  # but it was read, for staff
    nothing = understand(mail("Grazie.\nP.IVA 01234560017\n"), rules)
    assert (nothing.intent, nothing.rule) == ("other", None)
    assert dict(nothing.fields) == {"vat_number": "01234560017"}  # no rule: every field kept


def test_forwarded_copy_of_our_email_is_not_mined(rules: RuleSet) -> None:
    body = (
        "Che devo fare?\n\n---------- Forwarded message ---------\nFrom: Servizio <rinnovi+abc@example.it>\n"
        "Subject: x\n\nCIG 8814006BD6 ordine ORD-2024-000999\n"
    )
    assert dict(understand(mail(body), rules, own_addresses=OWN).fields) == {}
    theirs = understand(mail(body.replace("rinnovi+abc@example.it", "gare@ente.example.it")), rules, own_addresses=OWN)
    assert dict(theirs.fields) == {"cig": ["8814006BD6"], "order_number": "ORD-2024-000999"}


def test_is_own_copy() -> None:
    assert is_own_copy("Da: Servizio Rinnovi <Rinnovi+X1@Example.IT>\nA: a@b.it\n\ntesto", OWN)
    assert not is_own_copy("Da: Ufficio <gare@ente.example.it>\n\nrinnovi@example.it ha scritto", OWN)
    assert not is_own_copy("From: rinnovi@example.it\n", frozenset())
    assert not is_own_copy("nessuna intestazione", OWN)


def test_merge_new_text_first() -> None:
    texts = ["CIG 8814006BD6\nutente: primo", "CIG 7654321183, 8814006BD6\nutente: altro"]
    fields, invalid, _ = merge(extract_fields(text, signature=True) for text in texts)
    assert fields == {"cig": ["8814006BD6", "7654321183"], "username": "primo"}
    assert invalid == ()
    _, bad, _ = merge(extract_fields(text) for text in ["CIG Z213346E35", "CIG Z213346E35"])
    assert [(v.field, v.value) for v in bad] == [("cig", "Z213346E35")]


def test_garbage_still_understood(rules: RuleSet) -> None:
    u = understand(b"\x00\xff\xfe not a message at all \r\n\r\n\x80\x81", rules)
    got = to_json(u, "junk")
    assert got["kind"] == "human" and got["intent"] == "other" and got["message_id"] is None


def test_already_redacted_raw_reads_the_same() -> None:
    """The pipeline reads stored (already redacted) raw with ``redacted=True``: same understanding, one
    MIME walk fewer; the flag of the raw's own card number is then the caller's to keep."""
    from pathlib import Path

    from mailbot.understand.redaction.message import redact_raw_message

    for path in sorted((Path(__file__).parent / "corpus").glob("*.eml")):
        raw = path.read_bytes()
        stored, _found = redact_raw_message(raw)
        direct, again = read_message(raw), read_message(stored, redacted=True)
        assert again.raw == direct.raw, path.name
        assert (again.kind, again.fields, again.invalid, again.new_text) == (
            direct.kind,
            direct.fields,
            direct.invalid,
            direct.new_text,
        ), path.name


def test_rules_checked_ahead_decide_as_checking_them_here(rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reading worker checks the rules on a reading but for the customer's kind; ``decide`` then
    finishes them with the matched kind, with the very intent, fields, review and trace of checking
    everything here, for every golden message and every kind."""
    corpus = Path(__file__).parent / "corpus"
    readings = [read_message(p.read_bytes()) for p in sorted(corpus.glob("*.eml"))]
    ahead = [with_rule_checks(r, rules) for r in readings]
    kinds = (None, *CUSTOMER_KINDS)
    here = [decide(r, rules, customer_kind=k) for r in readings for k in kinds]
    checked = counting_prechecks(monkeypatch)
    assert [decide(r, rules, customer_kind=k) for r in ahead for k in kinds] == here
    assert checked == []  # nothing checked again
    fewer = RuleSet(rules.rules[1:], rules.files)  # checks made for other rules are not used
    stale = with_rule_checks(readings[0], fewer)
    assert stale.rule_checks is not None and not stale.rule_checks.serves(rules)
    checked.clear()
    assert decide(stale, rules) == decide(readings[0], rules) and len(checked) == 2  # both checked here
