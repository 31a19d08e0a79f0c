"""How Italian offices and customers really write the values we ask for (issue 11): the labels they
use, usernames, the signature that is not the answer, and invalid values that never vanish."""

from __future__ import annotations

from mailbot.understand.reading import understand
from mailbot.understand.rules import RuleSet


def mail(body: str, *, subject: str = "Re: Promemoria rinnovo") -> bytes:
    return (
        f"From: Ente <ragioneria@ente.example.it>\nTo: rinnovi@example.it\nSubject: {subject}\n"
        f"Message-ID: <f1@ente.example.it>\nContent-Type: text/plain; charset=utf-8\n\n{body}"
    ).encode()


# -- invalid values never vanish ------------------------------------------------------------------


def test_an_invalid_value_is_reported_whatever_the_intent(rules: RuleSet) -> None:
    u = understand(mail("Abbiamo effettuato il bonifico, CRO: 12345678901.\nCIG: Z213346E35\n"), rules)
    assert u.intent == "payment_notice"
    assert dict(u.fields) == {"payment_reference": "12345678901"}  # fields still follow the intent
    assert [(v.field, v.value) for v in u.invalid] == [("cig", "Z213346E35")]
    assert "invalid values: cig" in u.review_reasons


def test_an_invalid_value_is_reported_in_english_too(rules: RuleSet) -> None:
    u = understand(
        mail("We have made the bank transfer, TRN: 0306912345678901234567890IT.\nVAT no. 01057861006\n"), rules
    )
    assert u.intent == "payment_notice"
    assert [(v.field, v.value) for v in u.invalid] == [("vat_number", "01057861006")]
