"""The status of an account (issue 12), pure: facts as loaded in, what ``mailbot status`` and the
``account_status`` email show out. Expiry flagged within 90 days or once past, storage at the configured
levels, orders newest first with their invoice, days in the configured time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailbot.config import StorageConfig
from mailbot.domain import CustomerFacts, CustomerKind, OrderStatus, OrderType, PaymentMethod, ServiceStatus
from mailbot.outbound.account_status import (
    EXPIRY_SOON_DAYS,
    AccountFacts,
    AccountOrder,
    AccountService,
    account_status,
    billing_address,
    expiry_flag,
)
from mailbot.outbound.context import AccountStatusContext, CompanyInfo

ROME = ZoneInfo("Europe/Rome")
TODAY = date(2026, 10, 2)
COMPANY = CompanyInfo("Example S.r.l.", "assistenza@example.it", "02 1234 5678")


def customer(**kw: object) -> CustomerFacts:
    values: dict[str, object] = {
        "external_id": "C001",
        "name": "Rossi Impianti S.r.l.",
        "kind": CustomerKind.COMPANY,
        "email": "amministrazione@rossi.example.org",
        "language": "it",
        "vat_number": "01234560157",
        "fiscal_code": None,
        "pec": "rossi@pec.example.org",
        "recipient_code": "M5UXCR1",
        "street": "Via Roma 1",
        "postcode": "20121",
        "city": "Milano",
        "province": "MI",
        "country": "IT",
        "split_payment": False,
    }
    values.update(kw)
    return CustomerFacts(**values)  # type: ignore[arg-type]


def service(**kw: object) -> AccountService:
    values: dict[str, object] = {
        "external_id": "S001",
        "label": "Magazzino",
        "username": "rossi.magazzino",
        "product_name": "Portale Impianti",
        "expires_on": TODAY + timedelta(days=200),
        "autorenew": False,
        "payment_method": PaymentMethod.NONE,
        "storage_used_mb": 100,
        "storage_quota_mb": 1024,
        "status": ServiceStatus.ACTIVE,
    }
    values.update(kw)
    return AccountService(**values)  # type: ignore[arg-type]


def order(number: str, created_at: datetime, **kw: object) -> AccountOrder:
    values: dict[str, object] = {
        "number": number,
        "type": OrderType.RENEWAL,
        "created_at": created_at,
        "due_cents": 14640,
        "status": OrderStatus.PAID,
        "invoice_number": None,
    }
    values.update(kw)
    return AccountOrder(**values)  # type: ignore[arg-type]


def status(facts: AccountFacts, **kw: object) -> AccountStatusContext:
    values: dict[str, object] = {
        "today": TODAY,
        "tz": ROME,
        "lang": "it",
        "company": COMPANY,
        "storage": StorageConfig(warn_percent=70, critical_percent=90),
        "subject": "Re: situazione",
    }
    values.update(kw)
    return account_status(facts, **values)  # type: ignore[arg-type]


# Expiry -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "flag"),
    [(-400, "expired"), (-1, "expired"), (0, "soon"), (1, "soon"), (90, "soon"), (91, None), (365, None)],
)
def test_expiry_is_flagged_within_90_days_and_once_past(days: int, flag: str | None) -> None:
    assert expiry_flag(TODAY + timedelta(days=days), TODAY) == flag


@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)), st.dates(date(2000, 1, 1), date(2100, 12, 31)))
def test_expiry_flag_follows_the_days_left(expires_on: date, today: date) -> None:
    left = (expires_on - today).days
    flag = expiry_flag(expires_on, today)
    assert (flag == "expired") == (left < 0)
    assert (flag == "soon") == (0 <= left <= EXPIRY_SOON_DAYS)
    assert (flag is None) == (left > EXPIRY_SOON_DAYS)


def test_services_carry_days_left_flags_and_renewal() -> None:
    facts = AccountFacts(
        customer(),
        (
            service(expires_on=TODAY + timedelta(days=30), autorenew=True, payment_method=PaymentMethod.CARD),
            service(external_id="S002", label="Archivio", expires_on=TODAY - timedelta(days=5)),
            service(external_id="S003", label="Casella", status=ServiceStatus.SUSPENDED),
        ),
        (),
    )
    ctx = status(facts)
    first, expired, suspended = ctx.services
    assert (first.days_to_expiry, first.expiry_flag) == (30, "soon")
    assert (first.autorenew, first.payment_method) == (True, "card")
    assert (expired.days_to_expiry, expired.expiry_flag, expired.autorenew) == (-5, "expired", False)
    assert (suspended.expiry_flag, suspended.status) == (None, "suspended")
    assert [s.label for s in ctx.services] == ["Magazzino", "Archivio", "Casella"]  # as loaded


# Storage ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("used", "quota", "percent", "level"),
    [
        (716, 1024, 69, None),
        (717, 1024, 70, "warning"),  # the storage alert's own level: at the threshold
        (921, 1024, 89, "warning"),
        (922, 1024, 90, "critical"),
        (1500, 1024, 146, "critical"),
        (0, 0, 0, None),  # no storage in the plan: nothing to flag
        (50, 0, 0, None),
    ],
)
def test_storage_is_flagged_at_the_configured_levels(used: int, quota: int, percent: int, level: str | None) -> None:
    ctx = status(AccountFacts(customer(), (service(storage_used_mb=used, storage_quota_mb=quota),), ()))
    s = ctx.services[0]
    assert (s.storage_used_mb, s.storage_quota_mb, s.storage_percent, s.storage_level) == (used, quota, percent, level)


def test_storage_levels_come_from_the_configuration() -> None:
    facts = AccountFacts(customer(), (service(storage_used_mb=600, storage_quota_mb=1000),), ())
    assert status(facts).services[0].storage_level is None
    assert status(facts, storage=StorageConfig(warn_percent=50, critical_percent=95)).services[0].storage_level == (
        "warning"
    )


# Orders -------------------------------------------------------------------------------------------


def test_orders_newest_first_with_amount_due_day_and_invoice() -> None:
    facts = AccountFacts(
        customer(),
        (),
        (
            order("ORD-2025-000010", datetime(2025, 9, 1, 8, 0, tzinfo=UTC), invoice_number="2025/00031"),
            # 23:30 UTC on 28 March 2026 is 00:30 on the 29th in Rome, after the clocks went forward
            order(
                "ORD-2026-000004",
                datetime(2026, 3, 28, 23, 30, tzinfo=UTC),
                status=OrderStatus.AWAITING_PAYMENT,
                due_cents=600,
                type=OrderType.REACTIVATION,
            ),
            order("ORD-2026-000001", datetime(2026, 1, 15, 9, 0, tzinfo=UTC), status=OrderStatus.CANCELLED),
        ),
    )
    orders = status(facts).orders
    assert [o.number for o in orders] == ["ORD-2026-000004", "ORD-2026-000001", "ORD-2025-000010"]
    newest, cancelled, paid = orders
    assert (newest.created_on, newest.due, newest.type, newest.status) == (
        date(2026, 3, 29),
        Decimal("6.00"),
        "reactivation",
        "awaiting_payment",
    )
    assert newest.invoice_number is None and cancelled.status == "cancelled"
    assert (paid.due, paid.invoice_number) == (Decimal("146.40"), "2025/00031")


def test_orders_of_one_instant_keep_their_numbers_order() -> None:
    at = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    facts = AccountFacts(customer(), (), (order("ORD-2026-000007", at), order("ORD-2026-000008", at)))
    assert [o.number for o in status(facts).orders] == ["ORD-2026-000008", "ORD-2026-000007"]


# The customer -------------------------------------------------------------------------------------


def test_customer_and_billing_data() -> None:
    ctx = status(AccountFacts(customer(), (), ()), lang="en")
    assert (ctx.lang, ctx.today, ctx.subject, ctx.company) == ("en", TODAY, "Re: situazione", COMPANY)
    assert (ctx.customer.name, ctx.customer.kind, ctx.customer.email, ctx.customer.language) == (
        "Rossi Impianti S.r.l.",
        "company",
        "amministrazione@rossi.example.org",
        "en",
    )
    b = ctx.billing
    assert (b.vat_number, b.fiscal_code, b.pec, b.recipient_code, b.split_payment) == (
        "01234560157",
        None,
        "rossi@pec.example.org",
        "M5UXCR1",
        False,
    )
    assert b.address == "Via Roma 1, 20121 Milano (MI)"
    assert ctx.services == () and ctx.orders == ()


@pytest.mark.parametrize(
    ("kw", "line"),
    [
        ({}, "Via Roma 1, 20121 Milano (MI)"),
        ({"province": None}, "Via Roma 1, 20121 Milano"),
        ({"country": "DE", "province": None, "postcode": "10115", "city": "Berlin"}, "Via Roma 1, 10115 Berlin, DE"),
        ({"street": None, "postcode": None, "city": None, "province": None}, ""),
        ({"street": "  Via\nRoma 1 ", "city": "Milano\x1b[2J"}, "Via Roma 1, 20121 Milano [2J (MI)"),
    ],
)
def test_billing_address_on_one_line(kw: dict[str, object], line: str) -> None:
    assert billing_address(customer(**kw)) == line


def test_a_public_administration_under_split_payment() -> None:
    pa = customer(kind=CustomerKind.PUBLIC_ADMINISTRATION, split_payment=True, recipient_code="UFV4K2")
    ctx = status(AccountFacts(pa, (), ()))
    assert ctx.customer.kind == "pa" and ctx.customer.split_payment and ctx.billing.split_payment
