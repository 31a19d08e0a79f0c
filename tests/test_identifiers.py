"""Identifier validators: the exact DOMAIN.md rules, with real and computed examples."""

from __future__ import annotations

import pytest

from mailbot.understand.identifiers import (
    check_field,
    cig_checksum_matches,
    normalise,
    validate_cig,
    validate_cup,
    validate_fiscal_code,
    validate_iban,
    validate_office_code,
    validate_order_number,
    validate_payment_reference,
    validate_pec,
    validate_recipient_code,
    validate_username,
    validate_vat_number,
    validate_years,
)

# Real CIGs: the two samples of DOMAIN.md and two 2024-family CIGs from published determinations.
REAL_CIGS = ["8814006BD6", "Z213346E34", "B0E1AD1F10", "B07E0997CB"]


def _ordinary(serial: int) -> str:
    return f"{serial:07d}{serial * 211 % 4091:03X}"


def _smart(letter: str, tail: int) -> str:
    return f"{letter}{tail * 211 % 251:02X}{tail:07X}"


def _from_2024(letter: str, body: int, check: int | None = None) -> str:
    value = (body + ord(letter) - 64) * 211 % 4091 if check is None else check
    return f"{letter}{body:06X}{value:03X}"


COMPUTED_CIGS = [
    _ordinary(1234567),
    _ordinary(9000001),
    _smart("X", 0x1A2B3C4),
    _smart("Y", 0x0000FFF),
    _from_2024("A", 0x0ABCDE),
    _from_2024("U", 0xFFFFFF),
]


def _break(cig: str) -> str:
    """The same CIG with its last character changed to another hex digit."""
    return cig[:-1] + ("0" if cig[-1] != "0" else "1")


@pytest.mark.parametrize("cig", REAL_CIGS + COMPUTED_CIGS)
def test_valid_cigs_of_every_family(cig: str) -> None:
    assert validate_cig(cig) is None
    assert validate_cig(cig.lower()) is None
    assert validate_cig(f" {cig[:5]} {cig[5:]} ") is None


@pytest.mark.parametrize("cig", REAL_CIGS + COMPUTED_CIGS)
def test_cig_with_a_wrong_check_is_rejected(cig: str) -> None:
    assert validate_cig(_break(cig)) == "CIG checksum does not match"
    assert not cig_checksum_matches(_break(cig))


def test_each_family_is_covered_by_the_examples() -> None:
    firsts = {cig[0] for cig in REAL_CIGS + COMPUTED_CIGS}
    assert firsts & set("0123456789") and firsts & set("XYZ") and firsts & set("ABU")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Z213346E3", "CIG must be 10 characters"),
        ("Z213346E345", "CIG must be 10 characters"),
        ("V213346E34", "CIG has an invalid format"),  # V and W belong to no family
        ("12345G7890", "CIG has an invalid format"),
        ("Z21334GE34", "CIG has an invalid format"),
    ],
)
def test_cig_shape_errors(value: str, reason: str) -> None:
    assert validate_cig(value) == reason


def test_a_2024_cig_uses_its_letter_in_the_check() -> None:
    body = 0x0ABCDE
    cig_for_a = _from_2024("A", body)
    same_digits_other_letter = "B" + cig_for_a[1:]
    assert validate_cig(cig_for_a) is None
    assert validate_cig(same_digits_other_letter) == "CIG checksum does not match"


def test_cup() -> None:
    assert validate_cup("J11B22000000001") is None
    assert validate_cup("j11b 2200 0000 001") is None
    assert validate_cup("J11B2200000000") == "CUP must be 15 characters"
    assert validate_cup("J1XB22000000001") == "CUP has an invalid format"


def test_office_and_recipient_codes() -> None:
    assert validate_office_code("UF5ZXA") is None
    assert validate_office_code("uf5zxa") is None
    assert validate_office_code("UF5ZX") == "office code must be 6 letters or digits"
    assert validate_office_code("UF5ZXA1") is not None
    assert validate_office_code("UF-ZXA") is not None
    for code in ("0000000", "XXXXXXX", "KRRH6B9"):
        assert validate_recipient_code(code) is None
    assert validate_recipient_code("UF5ZXA") == "recipient code must be 7 letters or digits"


def test_vat_number() -> None:
    assert validate_vat_number("01057861005") is None
    assert validate_vat_number("IT01057861005") is None
    assert validate_vat_number("it 010 578 610 05") is None
    assert check_field("vat_number", "IT01057861005") == ("01057861005", None)
    assert validate_vat_number("01057861006") == "VAT number check digit does not match"
    assert validate_vat_number("0105786100") == "VAT number must be 11 digits"
    assert validate_vat_number("RSSMRA85T10A562S") == "VAT number must be 11 digits"


def test_fiscal_code_of_people_and_entities() -> None:
    assert validate_fiscal_code("RSSMRA85T10A562S") is None
    assert validate_fiscal_code("rssmra85t10a562s") is None
    assert validate_fiscal_code("02438750586") is None  # an entity: 11 digits
    assert validate_fiscal_code("RSSMRA85T10A562X") == "fiscal code check digit does not match"
    assert validate_fiscal_code("02438750587") == "fiscal code check digit does not match"
    assert validate_fiscal_code("RSSMRA85T10") == "fiscal code must be 16 characters or 11 digits"


def test_pec() -> None:
    assert validate_pec("protocollo@pec.comune.esempio.it") is None
    assert check_field("pec", "Protocollo@PEC.Comune.it")[0] == "protocollo@pec.comune.it"
    assert validate_pec("protocollo@pec") == "PEC is not a valid email address"
    assert validate_pec("protocollo pec.it") == "PEC is not a valid email address"


def test_iban() -> None:
    assert validate_iban("IT60 X054 2811 1010 0000 0123 456") is None
    assert validate_iban("it60x0542811101000000123456") is None
    assert check_field("iban", "IT60 X054 2811 1010 0000 0123 456")[0] == "IT60X0542811101000000123456"
    assert validate_iban("IT61 X054 2811 1010 0000 0123 456") == "IBAN check digit does not match"


def test_order_number() -> None:
    assert validate_order_number("ORD-2024-000123") is None
    assert check_field("order_number", "ord 2024 000123") == ("ORD-2024-000123", None)
    assert validate_order_number("ORD-24-000123") is not None
    assert validate_order_number("2024-000123") is not None


def test_years() -> None:
    assert validate_years(1) is None and validate_years(10) is None
    assert validate_years(0) == "years must be between 1 and 10"
    assert validate_years(11) == "years must be between 1 and 10"


def test_payment_reference() -> None:
    assert validate_payment_reference("12345678901") is None  # CRO
    assert validate_payment_reference("0306912345678901234567890IT") is None  # TRN
    assert validate_payment_reference("1234567890") is not None  # 10 digits: neither
    assert validate_payment_reference("ABCDEFGHIJKLMN12") is not None  # too few digits for a TRN
    assert validate_payment_reference("1" * 36) is not None


def test_username_and_normalise() -> None:
    assert validate_username("mario.rossi") is None
    assert validate_username("m") is not None
    assert normalise(" c.i. g ") == "CIG"
