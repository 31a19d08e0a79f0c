"""Parsers of single CSV cells: a string in, a value out, ``ValueError`` with the reason otherwise.

The reasons are written for the person who fixes the spreadsheet, so they say what was expected
and repeat what was found.
"""

from __future__ import annotations

import enum
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from email_validator import EmailNotValidError, validate_email
from stdnum.exceptions import ValidationError
from stdnum.it import codicefiscale, iva

E = TypeVar("E", bound=enum.Enum)

TRUE = frozenset({"true", "si", "sì", "yes", "1", "y", "s"})
FALSE = frozenset({"false", "no", "0", "n"})
_MONEY = re.compile(r"^\d+(?:[.,]\d{1,2})?$")
_MONTH = re.compile(r"^(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_ITALIAN_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)


def parse_bool(value: str) -> bool:
    low = value.strip().lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    raise ValueError(f"expected true/false, si/no or 1/0, got {value!r}")


def parse_date(value: str) -> date:
    """``YYYY-MM-DD`` or the Italian ``DD/MM/YYYY`` (day and month of one digit too, as ``strptime``
    reads them; matched by hand at a fraction of its cost: a file has a date or three per row)."""
    match = _ISO_DATE.fullmatch(value)
    if match:
        year, month, day = match.groups()
    elif match := _ITALIAN_DATE.fullmatch(value):
        day, month, year = match.groups()
    else:
        raise ValueError(f"expected a date YYYY-MM-DD or DD/MM/YYYY, got {value!r}")
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"expected a date YYYY-MM-DD or DD/MM/YYYY, got {value!r}") from None


def parse_month(value: str) -> date:
    """``MM/YYYY`` (a card's expiry) as the first day of that month."""
    match = _MONTH.match(value)
    if match and 1 <= int(match.group(1)) <= 12:
        return date(int(match.group(2)), int(match.group(1)), 1)
    raise ValueError(f"expected a month MM/YYYY, got {value!r}")


def parse_cents(value: str) -> int:
    """Euros as ``120,00``, ``120.00``, ``1.234,56`` or ``1,234.56`` (optionally with €) to cents."""
    text = value.replace("€", "").replace(" ", "").replace("\u00a0", "")
    if "," in text and "." in text:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        text = text.replace(thousands, "")
    if not _MONEY.match(text):
        raise ValueError(f"expected an amount in euros like 120,00 or 120.00, got {value!r}")
    try:
        return int(Decimal(text.replace(",", ".")) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern above rules it out
        raise ValueError(f"not an amount: {value!r}") from None


def parse_int(value: str, low: int, high: int | None = None) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"expected a whole number, got {value!r}") from None
    if number < low or (high is not None and number > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ValueError(f"must be {bound}, got {number}")
    return number


def parse_enum(value: str, cls: type[E]) -> E:
    try:
        return cls(value.strip().lower())
    except ValueError:
        raise ValueError(f"expected one of {', '.join(str(m.value) for m in cls)}, got {value!r}") from None


def parse_email(value: str) -> str:
    """The normalised address (syntax only: no DNS lookups during an import)."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address {value!r}: {exc}") from None


def parse_vat_number(value: str) -> str:
    try:
        return str(iva.validate(value))
    except ValidationError as exc:
        raise ValueError(f"not a valid partita IVA {value!r}: {exc}") from None


def parse_fiscal_code(value: str) -> str:
    """16 characters with a check letter (people) or 11 digits (entities)."""
    try:
        return str(codicefiscale.validate(value))
    except ValidationError as exc:
        raise ValueError(f"not a valid codice fiscale {value!r}: {exc}") from None
