"""Finding the record a command names: by the external id of the CSV files (``S001``, the customer's
``C001``), the order number, or the database id. The external id wins when both could match (a customer
whose external id is ``12``); a name that matches nothing is one line naming it (exit 2)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.db.models import Customer, Order, Service
from mailbot.errors import NotFoundError
from mailbot.orders import find_order

Record = TypeVar("Record", Customer, Service)


def _by_external_id(session: Session, model: type[Record], ref: str, what: str) -> Record:
    ref = ref.strip()
    found = session.scalar(select(model).where(model.external_id == ref))
    if found is None and ref.isdigit():
        found = session.get(model, int(ref))
    if found is None:
        raise NotFoundError(f"no {what} with id {ref} (neither an external id nor a database id)")
    return found


def customer_by_ref(session: Session, ref: str) -> Customer:
    """The customer with external id ``ref``, else with database id ``ref``."""
    return _by_external_id(session, Customer, ref, "customer")


def service_by_ref(session: Session, ref: str) -> Service:
    """The service with external id ``ref`` (``S001``), else with database id ``ref``."""
    return _by_external_id(session, Service, ref, "service")


def order_by_ref(session: Session, ref: str) -> Order:
    """The order numbered ``ref`` (``ORD-2026-000001``), else with database id ``ref``."""
    found = find_order(session, ref)
    if found is None and ref.strip().isdigit():
        found = session.get(Order, int(ref))
    if found is None:
        raise NotFoundError(f"no order {ref.strip()} (neither an order number nor a database id)")
    return found
