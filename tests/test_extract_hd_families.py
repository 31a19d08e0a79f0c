"""Families of values the fourth writer's replies (``tests/replies/hd_*``) showed misread: "Usr." as a
username label, a participle after a label ("il CIG assegnato è ..."), a number abbreviation that ate
the first letters of a value ("Codice fiscale: NRI..."), an IBAN whose only fault is its check digits
written without a label, and an English service or renewal naming its username ("my service cdubois",
"the automatic renewal for tanaka_jp"). Italian and English, with the look-alikes that must stay out."""

from __future__ import annotations

import pytest

from mailbot.understand.extract.fields import extract_fields

CIG_WRONG = "8814006BD7"  # 8814006BD6 is right


def _invalid(text: str) -> list[tuple[str, str]]:
    return [(bad.field, bad.value) for bad in extract_fields(text).invalid]


# -- "Usr." is a username label ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "username"),
    [
        ("Usr.: cciaa.riviera", "cciaa.riviera"),
        ("usr: comune.esempio", "comune.esempio"),
        ("Usr = impianto-nord", "impianto-nord"),
    ],
)
def test_usr_is_a_username_label(text: str, username: str) -> None:
    assert extract_fields(text).fields == {"username": username}


@pytest.mark.parametrize("text", ["il file è in /usr/local/bin", "usr e password non li ricordo"])
def test_usr_without_a_value_is_no_username(text: str) -> None:
    assert "username" not in extract_fields(text).fields


# -- a participle after a label: its value is read, also an invalid one ---------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"il CIG assegnato è {CIG_WRONG}, grazie",
        f"il CIG attribuito alla procedura: {CIG_WRONG}",
        f"the assigned CIG is {CIG_WRONG}",
        f"the CIG assigned is {CIG_WRONG}",
    ],
)
def test_a_participle_after_the_label_keeps_the_value(text: str) -> None:
    assert _invalid(text) == [("cig", CIG_WRONG)]


def test_a_participle_then_a_valid_value() -> None:
    assert extract_fields("il codice univoco ufficio assegnato è UFB61N").fields == {"office_code": "UFB61N"}


@pytest.mark.parametrize("text", ["il CIG assegnato alla gara non è ancora disponibile", "CIG assigned soon"])
def test_a_participle_without_a_value_is_nothing(text: str) -> None:
    result = extract_fields(text)
    assert result.fields == {} and result.invalid == []


# -- a number abbreviation never eats a value's letters ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("Codice fiscale: NRIFNC79L63H294A", {"fiscal_code": "NRIFNC79L63H294A"}),
        ("C.F. NRIFNC79L63H294A", {"fiscal_code": "NRIFNC79L63H294A"}),
        ("codice fiscale NOBFNC79L63H294Z", None),  # "no" is no separator either (wrong check letter)
        ("Tax code: NRIFNC79L63H294A", {"fiscal_code": "NRIFNC79L63H294A"}),
        ("CIG nr. 8814006BD6", {"cig": ["8814006BD6"]}),
        ("CIG nr 8814006BD6", {"cig": ["8814006BD6"]}),
        ("ordine nr. ORD-2025-000123", {"order_number": "ORD-2025-000123"}),
    ],
)
def test_a_number_abbreviation_never_eats_the_value(text: str, fields: dict[str, object] | None) -> None:
    result = extract_fields(text)
    if fields is None:
        assert [bad.value for bad in result.invalid] == ["NOBFNC79L63H294Z"]
    else:
        assert result.fields == fields and result.invalid == []


# -- an IBAN whose only fault is its check digits, written without a label ---------------------------


@pytest.mark.parametrize(
    "text",
    [
        "rimborsatemi su IT66Y0306909606100000012345 grazie",
        "please refund to IT66 Y030 6909 6061 0000 0012 345",
    ],
)
def test_an_unlabelled_iban_with_wrong_check_digits_is_invalid(text: str) -> None:
    assert [bad.field for bad in extract_fields(text).invalid] == ["iban"]


@pytest.mark.parametrize(
    "text",
    [
        "rimborsatemi su IT60X0542811101000000123456 grazie",  # valid
        "protocollo IT12345 del 2026",
        "codice AB12CDEFGHIJKLMNOPQRS",
        "il seriale IT66Y03069096061000000 è sul retro",  # too short for an Italian IBAN
    ],
)
def test_iban_look_alikes_are_no_invalid_iban(text: str) -> None:
    assert not [bad for bad in extract_fields(text).invalid if bad.field == "iban"]


# -- an English service or renewal naming its username -------------------------------------------


@pytest.mark.parametrize(
    ("text", "username"),
    [
        ("I would like to switch on the automatic renewal for my service cdubois, with the same card", "cdubois"),
        ("please enable the automatic renewal for tanaka_jp. For this I need a new card", "tanaka_jp"),
        ("please renew the subscription garage-cam for one more year", "garage-cam"),
        ("attivate il rinnovo automatico per impianto-sud", "impianto-sud"),
        ("vorrei il rinnovo di casa_mare", "casa_mare"),
    ],
)
def test_a_service_or_renewal_names_its_username(text: str, username: str) -> None:
    assert extract_fields(text).fields.get("username") == username


@pytest.mark.parametrize(
    "text",
    [
        "the service standard is fine",
        "the renewal for three years please",
        "the renewal for 2026 is due",
        "customer service team",
        "il rinnovo per tre anni",
        "il rinnovo di quest'anno",
        "renewal for e-mail archive",
    ],
)
def test_service_and_renewal_look_alikes_are_no_username(text: str) -> None:
    assert "username" not in extract_fields(text).fields
