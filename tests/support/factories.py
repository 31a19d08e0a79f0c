"""Small builders for test data; every argument has a sensible default."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.db.models import Customer, Order, Product, Service
from mailbot.domain import Cadence, CustomerKind, PaymentMethod, ServiceStatus

_seq = itertools.count(1)


def make_customer(session: Session, **kw: Any) -> Customer:
    n = next(_seq)
    values: dict[str, Any] = {
        "external_id": f"C{n:05d}",
        "kind": CustomerKind.PRIVATE,
        "name": f"Cliente {n}",
        "email": f"cliente{n}@example.org",
        "language": "it",
    }
    values.update(kw)
    customer = Customer(**values)
    session.add(customer)
    session.flush()
    return customer


def make_product(session: Session, **kw: Any) -> Product:
    n = next(_seq)
    values: dict[str, Any] = {
        "code": f"P{n}",
        "name": f"Portale Impianti {n}",
        "cadence": Cadence.ANNUAL,
        "price_cents": 12000,
        "max_years": 10,
        "promo": False,
        "bank_transfer_fee_cents": 300,
        "storage_quota_mb": 1024,
    }
    values.update(kw)
    product = Product(**values)
    session.add(product)
    session.flush()
    return product


def make_service(session: Session, customer: Customer, product: Product | None = None, **kw: Any) -> Service:
    n = next(_seq)
    values: dict[str, Any] = {
        "external_id": f"S{n:05d}",
        "customer_id": customer.id,
        "product_id": (product or make_product(session)).id,
        "label": f"Impianto {n}",
        "username": f"user{n}",
        "expires_on": date(2026, 12, 31),
        "autorenew": False,
        "payment_method": PaymentMethod.NONE,
        "status": ServiceStatus.ACTIVE,
        "storage_quota_mb": 1024,
        "storage_used_mb": 100,
    }
    values.update(kw)
    service = Service(**values)
    session.add(service)
    session.flush()
    return service


def make_order(
    session: Session,
    app: App,
    customer: Customer,
    services: Sequence[Service],
    *,
    now: datetime,
    years: int = 1,
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER,
) -> Order:
    """An order awaiting payment, with its payment instructions in the outbox (``orders.create_order``)."""
    from mailbot.orders import NewOrder, create_order

    return create_order(session, app, NewOrder(customer, list(services), years, method), now=now)
