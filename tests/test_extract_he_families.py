"""Families of values the fifth writer's replies (``tests/replies/he_*``) showed misread: a label going
on with what the code is for ("il CIG per il rinnovo è ...", whose wrong check character must still be
reported), a CIG written in groups of digits, the office named as the invoice's recipient ("Ufficio
destinatario fattura: codice ..."), a subscription naming its username ("dell'abbonamento
comune.esempio"), a number of years with a typo ("2 ani"), and years of the customer's past ("ho fatto
due anni"). Italian and English, with the look-alikes that must stay out."""

from __future__ import annotations

import pytest

from mailbot.understand.extract.fields import extract_fields
from mailbot.understand.extract.years import find_years

CIG_RIGHT = "8814006BD6"
CIG_WRONG = "8814006BD7"


def _invalid(text: str) -> list[tuple[str, str]]:
    return [(bad.field, bad.value) for bad in extract_fields(text).invalid]


# -- a label that says what the code is for: its value is read, also an invalid one ----------------


@pytest.mark.parametrize(
    "text",
    [
        f"il CIG per il rinnovo e' {CIG_WRONG}, grazie",
        f"Il CIG relativo al rinnovo è {CIG_WRONG}.",
        f"CIG del contratto di rinnovo: {CIG_WRONG}",
        f"the CIG for the renewal is {CIG_WRONG}",
    ],
)
def test_a_wrong_cig_after_what_it_is_for_is_reported(text: str) -> None:
    assert _invalid(text) == [("cig", CIG_WRONG)]


def test_a_right_cig_after_what_it_is_for_is_read() -> None:
    assert extract_fields(f"il CIG per il rinnovo è {CIG_RIGHT}").fields == {"cig": [CIG_RIGHT]}


@pytest.mark.parametrize(
    "text",
    [
        "il CIG per il rinnovo è in arrivo, ve lo mandiamo ad ottobre",
        "il CIG per il rinnovo 2026 ve lo mandiamo appena pronto",
        "il CIG per il rinnovo è quello dell'anno scorso",
    ],
)
def test_no_cig_said_after_what_it_is_for(text: str) -> None:
    assert "cig" not in extract_fields(text).fields
    assert _invalid(text) == []


# -- a CIG in groups of digits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["CIG: 8814 006 BD6", "il CIG è 881 4006 BD6", "C.I.G. 5034 8119 77", "CIG 5034 811 977 per il 2027"],
)
def test_a_cig_in_groups(text: str) -> None:
    expected = "5034811977" if "5034" in text else CIG_RIGHT
    assert extract_fields(text).fields == {"cig": [expected]}


def test_groups_that_make_no_cig_are_left() -> None:
    assert "cig" not in extract_fields("CIG: 12 34 56, lo confermiamo domani").fields


# -- the office named as the invoice's recipient ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Ufficio destinatario fattura: codice UF0P3K",
        "Ufficio destinatario: UF0P3K",
        "ufficio destinatario della fattura elettronica UF0P3K",
        "Codice ufficio destinatario: UF0P3K",
    ],
)
def test_the_recipient_office(text: str) -> None:
    assert extract_fields(text).fields == {"office_code": "UF0P3K"}


def test_the_recipient_office_in_words_is_no_code() -> None:
    assert "office_code" not in extract_fields("l'ufficio destinatario della fattura è la Ragioneria").fields


# -- a subscription or licence naming its username -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "username"),
    [
        ("per il rinnovo biennale dell'abbonamento comune.serralonga.", "comune.serralonga"),
        ("la licenza scuola-verdi scade a gennaio", "scuola-verdi"),
        ("l'abbonamento magazzino2 va rinnovato", "magazzino2"),
    ],
)
def test_a_subscription_names_its_username(text: str, username: str) -> None:
    assert extract_fields(text).fields.get("username") == username


def test_a_subscription_in_words_names_none() -> None:
    assert "username" not in extract_fields("l'abbonamento annuale scade a gennaio").fields


# -- years with a typo, and years of the past --------------------------------------------------------


@pytest.mark.parametrize(("text", "years"), [("vorrei rinovare per 2 ani", 2), ("rinnovo x tre ani grazie", 3)])
def test_years_with_a_typo(text: str, years: int) -> None:
    assert [found.years for found in find_years(text)] == [years]


@pytest.mark.parametrize(
    "text",
    [
        "a me risulta pagato fino al 2027, ho fatto due anni l'anno scorso",
        "avevo preso tre anni nel 2024",
        "I paid two years last March",
        "we bought 3 years in 2025",
    ],
)
def test_years_of_the_past_are_no_request(text: str) -> None:
    assert find_years(text) == []


def test_years_asked_beside_the_past_are_read() -> None:
    assert [f.years for f in find_years("l'anno scorso ho fatto un anno, ora rinnovo per 2 anni")] == [2]


# -- the sixth writer's (hf_): a reference said after a clause, a code "still" the same, and label
# words or verbs with a dash never a username ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("Il TRN che mi dà la ricevuta è 2603181234567890IT.", "2603181234567890IT"),
        ("il CRO indicato sulla contabile della banca è 0306901234567890", "0306901234567890"),
        ("The TRN shown on my bank receipt is BPPIITRR2604011234.", "BPPIITRR2604011234"),
    ],
)
def test_a_reference_said_after_a_clause(text: str, reference: str) -> None:
    assert extract_fields(text).fields.get("payment_reference") == reference


def test_a_reference_label_then_no_value() -> None:
    assert "payment_reference" not in extract_fields("il CRO che mi ha dato la banca ve lo mando domani").fields


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("Our SDI recipient code is still T04ZHR3.", "recipient_code", "T04ZHR3"),
        ("Il codice destinatario resta sempre M5UXCR1.", "recipient_code", "M5UXCR1"),
        ("il codice univoco ufficio è ancora UFXK9T", "office_code", "UFXK9T"),
    ],
)
def test_a_code_still_the_same(text: str, field: str, value: str) -> None:
    assert extract_fields(text).fields.get(field) == value


@pytest.mark.parametrize(
    "text",
    [
        "payment sent today from our company account\nIBAN IT60X0542811101000000123456",
        "the account\nCIG Z213346E34",
        "Please update the name on the account, and could you re-issue the April invoice?",
        "please re-send the invoice for my account",
    ],
)
def test_no_username_from_a_label_word_or_a_verb(text: str) -> None:
    assert "username" not in extract_fields(text).fields


# -- the seventh writer's (hg_): a pronoun after a username label is no username -------------------


@pytest.mark.parametrize(
    ("text", "username"),
    [
        ("Lo username me l'ha dato il CED: monteriggioni.ced", "monteriggioni.ced"),
        ("l'utente ce lo ha comunicato l'ufficio: comune.borgo", "comune.borgo"),
    ],
)
def test_a_pronoun_after_the_label_is_no_username(text: str, username: str) -> None:
    assert extract_fields(text).fields.get("username") == username
