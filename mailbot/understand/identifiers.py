"""Validators for the identifiers customers write in their replies (pure functions).

Each ``validate_*`` takes the value as written, normalises it (see ``normalise``) and returns
``None`` when it is valid or a short English reason ("CIG checksum does not match"). ``normalise``
gives the form to store. The CIG, CUP and office-code rules are the ones in DOMAIN.md
("Public administrations"); VAT number, fiscal code and IBAN use python-stdnum, PEC uses
email-validator without network look-ups.

Payment references: a CRO is exactly 11 digits; a TRN is 12 to 35 letters and digits with at least
8 digits (SEPA transaction references are usually 30, e.g. ``0306912345678901234567890IT``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from stdnum import iban as stdnum_iban
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.it import codicefiscale, iva

CIG_ORDINARY = re.compile(r"\d{7}[0-9A-F]{3}")
CIG_SMART = re.compile(r"[XYZ][0-9A-F]{9}")
CIG_2024 = re.compile(r"[A-U][0-9A-F]{9}")
CUP = re.compile(r"[A-Z]\d{2}[A-Z]\d{11}")
OFFICE_CODE = re.compile(r"[A-Z0-9]{6}")
RECIPIENT_CODE = re.compile(r"[A-Z0-9]{7}")
ORDER_NUMBER = re.compile(r"ORD-\d{4}-\d{6}")
CRO = re.compile(r"\d{11}")
TRN = re.compile(r"[A-Z0-9]{12,35}")
RECIPIENT_PEC_DELIVERY = "0000000"
RECIPIENT_FOREIGN = "XXXXXXX"
MAX_YEARS = 10

_STRIP = re.compile(r"[\s.]+")
_STDNUM_REASONS: tuple[tuple[type[ValidationError], str], ...] = (
    (InvalidChecksum, "check digit does not match"),
    (InvalidLength, "has the wrong length"),
    (InvalidFormat, "has an invalid format"),
    (InvalidComponent, "has an invalid component"),
)


def normalise(value: str) -> str:
    """Upper case, with spaces and dots removed: the stored form of a code."""
    return _STRIP.sub("", value).upper()


def cig_checksum_matches(cig: str) -> bool:
    """The family check of a normalised CIG; False when it belongs to no family."""
    if CIG_ORDINARY.fullmatch(cig):
        return int(cig[7:], 16) == int(cig[:7]) * 211 % 4091
    if CIG_SMART.fullmatch(cig):
        return int(cig[1:3], 16) == int(cig[3:], 16) * 211 % 251
    if CIG_2024.fullmatch(cig):
        return int(cig[7:], 16) == (int(cig[1:7], 16) + ord(cig[0]) - 64) * 211 % 4091
    return False


def validate_cig(value: str) -> str | None:
    cig = normalise(value)
    if len(cig) != 10:
        return "CIG must be 10 characters"
    if not (CIG_ORDINARY.fullmatch(cig) or CIG_SMART.fullmatch(cig) or CIG_2024.fullmatch(cig)):
        return "CIG has an invalid format"
    return None if cig_checksum_matches(cig) else "CIG checksum does not match"


def validate_cup(value: str) -> str | None:
    cup = normalise(value)
    if len(cup) != 15:
        return "CUP must be 15 characters"
    return None if CUP.fullmatch(cup) else "CUP has an invalid format"


def validate_office_code(value: str) -> str | None:
    return None if OFFICE_CODE.fullmatch(normalise(value)) else "office code must be 6 letters or digits"


def validate_recipient_code(value: str) -> str | None:
    """7 letters or digits; ``0000000`` (delivery by PEC) and ``XXXXXXX`` (foreign) included."""
    return None if RECIPIENT_CODE.fullmatch(normalise(value)) else "recipient code must be 7 letters or digits"


def _stdnum_reason(label: str, check: Callable[[str], object], value: str) -> str | None:
    try:
        check(value)
    except ValidationError as exc:
        for kind, text in _STDNUM_REASONS:
            if isinstance(exc, kind):
                return f"{label} {text}"
        return f"{label} is not valid"
    return None


def normalise_vat_number(value: str) -> str:
    vat = normalise(value)
    return vat[2:] if vat.startswith("IT") else vat


def validate_vat_number(value: str) -> str | None:
    """An Italian partita IVA: 11 digits with a check digit; an ``IT`` prefix is accepted."""
    vat = normalise_vat_number(value)
    if not vat.isdigit() or len(vat) != 11:
        return "VAT number must be 11 digits"
    return _stdnum_reason("VAT number", iva.validate, vat)


def validate_fiscal_code(value: str) -> str | None:
    """16 characters with a check letter (people) or 11 digits (entities, checked as a partita IVA)."""
    code = normalise(value)
    if len(code) == 11 and code.isdigit():
        return _stdnum_reason("fiscal code", iva.validate, code)
    if len(code) != 16:
        return "fiscal code must be 16 characters or 11 digits"
    return _stdnum_reason("fiscal code", codicefiscale.validate, code)


def normalise_pec(value: str) -> str:
    """The address as email-validator normalises it (domain in lower case); unchanged when invalid."""
    from email_validator import EmailNotValidError, validate_email  # loaded only for a PEC

    try:
        return str(validate_email(value.strip(), check_deliverability=False).normalized).lower()
    except EmailNotValidError:
        return value.strip()


def validate_pec(value: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        return "PEC is not a valid email address"
    return None


def normalise_iban(value: str) -> str:
    return str(stdnum_iban.compact(value))


def validate_iban(value: str) -> str | None:
    return _stdnum_reason("IBAN", stdnum_iban.validate, normalise_iban(value))


_IBAN_MIN = 5  # country, check digits, one character of account


def iban_check_digits_wrong(value: str) -> bool:
    """``value`` is an IBAN of its country's length and shape whose only fault is its check digits: a
    mistyped IBAN, not some other code that happens to start with two letters and two digits."""
    number = normalise_iban(value)
    if len(number) < _IBAN_MIN or validate_iban(number) is None:
        return False
    fixed = number[:2] + str(stdnum_iban.calc_check_digits(number)) + number[4:]
    return validate_iban(fixed) is None


def normalise_order_number(value: str) -> str:
    digits = re.findall(r"\d+", value)
    if len(digits) == 2 and value.strip().upper().startswith("ORD"):
        return f"ORD-{digits[0]}-{digits[1]}"
    return normalise(value)


def validate_order_number(value: str) -> str | None:
    return (
        None if ORDER_NUMBER.fullmatch(normalise_order_number(value)) else "order number must look like ORD-YYYY-NNNNNN"
    )


def validate_years(years: int) -> str | None:
    return None if 1 <= years <= MAX_YEARS else f"years must be between 1 and {MAX_YEARS}"


def validate_payment_reference(value: str) -> str | None:
    """A CRO (11 digits) or a TRN (12-35 letters and digits, at least 8 of them digits)."""
    ref = normalise(value)
    if CRO.fullmatch(ref):
        return None
    if TRN.fullmatch(ref) and sum(ch.isdigit() for ch in ref) >= 8:
        return None
    return "payment reference must be a CRO (11 digits) or a TRN (12-35 letters and digits)"


def normalise_username(value: str) -> str:
    """Lower case: portals match usernames without regard to case."""
    return value.strip().lower()


def validate_username(value: str) -> str | None:
    name = value.strip()
    if not 2 <= len(name) <= 64 or any(ch.isspace() for ch in name):
        return "username must be 2-64 characters without spaces"
    return None


# field name -> (normalise, validate); extractors look fields up here.
FIELDS: dict[str, tuple[Callable[[str], str], Callable[[str], str | None]]] = {
    "cig": (normalise, validate_cig),
    "cup": (normalise, validate_cup),
    "office_code": (normalise, validate_office_code),
    "recipient_code": (normalise, validate_recipient_code),
    "vat_number": (normalise_vat_number, validate_vat_number),
    "fiscal_code": (normalise, validate_fiscal_code),
    "pec": (normalise_pec, validate_pec),
    "iban": (normalise_iban, validate_iban),
    "order_number": (normalise_order_number, validate_order_number),
    "payment_reference": (normalise, validate_payment_reference),
    "username": (normalise_username, validate_username),
}


def check_field(field: str, value: str) -> tuple[str, str | None]:
    """The stored form of ``value`` for ``field`` and the reason it is invalid (None when valid)."""
    normaliser, validator = FIELDS[field]
    return normaliser(value), validator(value)
