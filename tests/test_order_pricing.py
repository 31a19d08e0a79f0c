"""Pricing an order: the bank-transfer fee per order or per service, split payment only while the regime
is valid. ``price_order`` is pure: the terms (``[payments]``) and the order's day are passed in."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest

from mailbot.config import PaymentsConfig, config_from_dict
from mailbot.db.models import Customer, Product
from mailbot.domain import Cadence, CustomerKind, PaymentMethod
from mailbot.errors import ConfigError
from mailbot.order_rules import bank_transfer_fee_cents, is_split_payment, price_order

END = date(2026, 6, 30)  # the last day of the split payment regime in these tests
TERMS = PaymentsConfig(vat_rate=Decimal("22"), split_payment_valid_until=END)
PER_SERVICE = dataclasses.replace(TERMS, bank_transfer_fee_per="service")
DAY = date(2026, 3, 1)


def product(fee: int = 300, price: int = 12000) -> Product:
    return Product(
        code="P",
        name="Portale",
        cadence=Cadence.ANNUAL,
        price_cents=price,
        max_years=10,
        promo=False,
        bank_transfer_fee_cents=fee,
    )


PRIVATE = Customer(kind=CustomerKind.PRIVATE, split_payment=False)
PA = Customer(kind=CustomerKind.PUBLIC_ADMINISTRATION, split_payment=False)
FLAGGED_COMPANY = Customer(kind=CustomerKind.COMPANY, split_payment=True)


# -- the bank-transfer fee ----------------------------------------------------------------------


def test_the_fee_is_charged_once_per_order_by_default() -> None:
    assert PaymentsConfig().bank_transfer_fee_per == "order"
    amounts = price_order([product(), product()], 1, PaymentMethod.BANK_TRANSFER, PRIVATE, TERMS, day=DAY)
    assert amounts.fee_cents == 300
    assert amounts.vat_cents == 5346  # 22% of 243.00 (net 240.00 + one fee)
    assert amounts.total_cents == amounts.due_cents == 24000 + 300 + 5346


def test_per_order_the_fee_is_the_highest_among_the_products() -> None:
    products = [product(fee=300), product(fee=500), product(fee=0)]
    assert bank_transfer_fee_cents(products, "order") == 500
    amounts = price_order(products, 1, PaymentMethod.BANK_TRANSFER, PRIVATE, TERMS, day=DAY)
    assert amounts.fee_cents == 500


def test_per_service_every_service_pays_its_fee() -> None:
    products = [product(fee=300), product(fee=500)]
    assert bank_transfer_fee_cents(products, "service") == 800
    amounts = price_order(products, 1, PaymentMethod.BANK_TRANSFER, PRIVATE, PER_SERVICE, day=DAY)
    assert amounts.fee_cents == 800


@pytest.mark.parametrize("method", [PaymentMethod.CARD, PaymentMethod.PAYPAL, PaymentMethod.POSTAL_SLIP])
@pytest.mark.parametrize("terms", [TERMS, PER_SERVICE])
def test_no_fee_for_other_methods(method: PaymentMethod, terms: PaymentsConfig) -> None:
    assert price_order([product(), product()], 1, method, PRIVATE, terms, day=DAY).fee_cents == 0


def test_the_fee_basis_is_configuration_and_a_wrong_value_names_the_key() -> None:
    assert config_from_dict({"payments": {"bank_transfer_fee_per": "service"}}).payments.bank_transfer_fee_per == (
        "service"
    )
    with pytest.raises(ConfigError, match=r"payments\.bank_transfer_fee_per: .*'customer'"):
        config_from_dict({"payments": {"bank_transfer_fee_per": "customer"}})
    with pytest.raises(ConfigError, match=r"payments\.bank_transfer_fee_per: expected a string"):
        config_from_dict({"payments": {"bank_transfer_fee_per": 1}})


# -- split payment while the regime is valid ----------------------------------------------------


@pytest.mark.parametrize("customer", [PA, FLAGGED_COMPANY])
def test_split_payment_up_to_and_including_its_last_day(customer: Customer) -> None:
    for day in (DAY, END):
        amounts = price_order([product()], 1, PaymentMethod.BANK_TRANSFER, customer, TERMS, day=day)
        assert amounts.split_payment, day
        assert amounts.due_cents == 12300  # net + fee: the administration pays the VAT to the State
        assert amounts.total_cents == 12300 + 2706


@pytest.mark.parametrize("customer", [PA, FLAGGED_COMPANY])
def test_no_split_payment_after_its_end_the_total_is_due(customer: Customer) -> None:
    for day in (END + timedelta(days=1), date(2027, 1, 1)):
        amounts = price_order([product()], 1, PaymentMethod.BANK_TRANSFER, customer, TERMS, day=day)
        assert not amounts.split_payment, day
        assert amounts.due_cents == amounts.total_cents == 12300 + 2706


def test_a_later_end_date_in_the_configuration_keeps_the_regime() -> None:
    later = dataclasses.replace(TERMS, split_payment_valid_until=date(2029, 6, 30))
    day = date(2027, 1, 1)
    assert price_order([product()], 1, PaymentMethod.CARD, PA, later, day=day).split_payment
    assert not price_order([product()], 1, PaymentMethod.CARD, PA, TERMS, day=day).split_payment


def test_is_split_payment_needs_the_customer_and_the_day() -> None:
    assert is_split_payment(PA, END, END)
    assert not is_split_payment(PA, END + timedelta(days=1), END)
    assert is_split_payment(FLAGGED_COMPANY, DAY, END)
    assert not is_split_payment(PRIVATE, DAY, END)
    assert not is_split_payment(Customer(kind=CustomerKind.COMPANY, split_payment=False), DAY, END)
