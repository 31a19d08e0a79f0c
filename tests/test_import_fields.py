"""The cell parsers of the CSV import: what they accept, and the reason they give otherwise."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from mailbot.domain import PaymentMethod
from mailbot.importing.fields import parse_date, parse_enum


def _strptime(value: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-31",
        "2026-1-5",
        "2028-02-29",
        "31/12/2026",
        "5/1/2026",
        "29/02/2028",
        "2027-02-29",
        "2026-13-01",
        "2026-00-10",
        "2026-01-00",
        "31/02/2026",
        "2026/12/31",
        "12/31/2026",
        "20261231",
        "2026-12-31T00:00",
        "26-12-31",
        "2026-012-01",
        "",
        "oggi",
    ],
)
def test_parse_date_accepts_what_strptime_accepted(value: str) -> None:
    expected = _strptime(value)
    if expected is None:
        with pytest.raises(ValueError, match="expected a date YYYY-MM-DD or DD/MM/YYYY"):
            parse_date(value)
    else:
        assert parse_date(value) == expected


def test_parse_enum_is_case_insensitive_and_names_the_choices() -> None:
    assert parse_enum(" Bank_Transfer ", PaymentMethod) is PaymentMethod.BANK_TRANSFER
    with pytest.raises(ValueError, match="expected one of card, paypal, bank_transfer, postal_slip, none, got 'x'"):
        parse_enum("x", PaymentMethod)
