"""How Italian offices and customers really write the values we ask for (issue 11): the labels they
use, usernames, the signature that is not the answer, and invalid values that never vanish."""

from __future__ import annotations

import pytest

from mailbot.understand.extract.fields import extract_fields
from mailbot.understand.htmltext import html_to_text
from mailbot.understand.reading import understand
from mailbot.understand.rules import RuleSet

CIG = "Z213346E34"


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


# -- usernames: the value follows the whole label -------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Username portale: comunear",
        "Username utilizzato per l'accesso al portale: comunear",
        "Username utilizzato per l’accesso al portale comunear",
        "utente portale: comunear",
        "Utente del portale: comunear",
        "username del portale: comunear",
        "Username del portale comunear",
        "account portale: comunear",
        "Account del portale: comunear",
        "login portale: comunear",
        "Nome utente portale: comunear",
        "Nome utente per accedere al portale: comunear",
        "il nostro username è comunear",
        "il nostro username è: comunear",
        "Il nome utente è comunear.",
        "our username is comunear",
        "Our portal username is comunear.",
        "Username used to log in to the portal: comunear",
        "Username for the portal: comunear",
        "Portal username: comunear",
        "Username portale:\ncomunear",
        "Username: ComuneAR",
    ],
)
def test_username_is_what_follows_the_whole_label(text: str) -> None:
    assert extract_fields(text).fields == {"username": "comunear"}


def test_username_in_a_table_row_of_an_html_body() -> None:
    html = "<table><tr><td><p>Nome utente portale</p></td><td><p>comunear</p></td></tr></table>"
    assert extract_fields(html_to_text(html)).fields == {"username": "comunear"}
    assert extract_fields("| Nome utente portale | comunear |").fields == {"username": "comunear"}
    columns = f"CIG\tUsername portale\n{CIG}\tcomunear\n"
    assert extract_fields(columns).fields == {"cig": [CIG], "username": "comunear"}


@pytest.mark.parametrize(
    ("text", "username"),
    [
        ("username: x.y", "x.y"),
        ("Username: Mario.Rossi-2_b", "mario.rossi-2_b"),
        ("Nome utente: comune_esempio99", "comune_esempio99"),
        ("Username: comune-esempio.", "comune-esempio"),
    ],
)
def test_username_keeps_dots_dashes_underscores_and_digits_lowercased(text: str, username: str) -> None:
    assert extract_fields(text).fields == {"username": username}


@pytest.mark.parametrize(
    "text",
    [
        "Username: utilizzato",
        "Username portale",
        "Lo username del portale non lo ricordo",
        "Lo username per il rinnovo non lo conosco",
        "lo username della scuola è cambiato",
        "Username: is",
        "Our username is the same as last year",
        "Username: per favore ricordatemelo",
        "Username della segreteria? Non lo so",
    ],
)
def test_a_common_word_after_a_username_label_is_never_the_value(text: str) -> None:
    result = extract_fields(text)
    assert "username" not in result.fields, text
    assert result.invalid == []
