"""The way to pay a message asks for (``understand.extract.methods``), Italian and English."""

from __future__ import annotations

import pytest

from mailbot.domain import PaymentMethod
from mailbot.understand.extract.methods import find_payment_method


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("Rinnovate per 3 anni con bonifico, grazie", PaymentMethod.BANK_TRANSFER),
        ("rinnovo per un anno, pagheremo con bonifico bancario", PaymentMethod.BANK_TRANSFER),
        ("vorrei pagare con PayPal", PaymentMethod.PAYPAL),
        ("rinnovo tramite carta di credito", PaymentMethod.CARD),
        ("Metodo di pagamento: bollettino postale", PaymentMethod.POSTAL_SLIP),
        ("please renew for 2 years by credit card", PaymentMethod.CARD),
        ("we will pay via wire transfer", PaymentMethod.BANK_TRANSFER),
        ("Payment method: PayPal", PaymentMethod.PAYPAL),
        ("non con la carta ma con bonifico", PaymentMethod.BANK_TRANSFER),  # the negated one is not asked
    ],
)
def test_the_way_to_pay_asked(text: str, method: PaymentMethod) -> None:
    assert find_payment_method(text) == method


@pytest.mark.parametrize(
    "text",
    [
        "ho fatto il bonifico ieri",  # a transfer made: a payment notice, not a choice
        "Grazie, a presto",
        "la carta è scaduta",
        "the card expired last month",
    ],
)
def test_no_way_to_pay_asked(text: str) -> None:
    assert find_payment_method(text) is None
