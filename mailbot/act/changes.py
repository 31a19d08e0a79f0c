"""Checking a staged change against the data as it is now, and what applying it does (pure).

A change is staged from an understanding (``decide.stage``), JSON-ready, and is either applied at once
(a verified sender and a confident rule) or kept in a staff request's ``details["change"]`` until a
person approves it. Both paths call ``check_change`` with a ``Snapshot`` of the customer taken in the
transaction that will apply it: the order may have been paid meanwhile, a code may be wrong. It
returns the ``plan.Change`` to apply (its effect, its audit, what it says to people) or raises
``ChangeNotApplicable`` naming what stopped it; ``write.Writer`` applies it.

Decisions kept here:
- ``cancellation`` ("do not renew") cancels the services: status ``cancelled`` and automatic renewal
  off, so no reminder, automatic charge or renewal order follows. Open orders are left to staff.
- ``upgrade_request`` has no automatic change (pricing an upgrade needs a person): approving it is
  refused; staff handle it and close the ticket.
- A message of several requests stages one change each, checked in acting order by ``check_changes``:
  a PA's codes or a payment announced for ``NEW_ORDER`` go on the order its renewal makes just before
  (``order_id`` None in the effect: the writer knows the order once it has made it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from mailbot.act.plan import (
    AnnouncePayment,
    CancelServices,
    Change,
    CreateOrder,
    SetAutorenew,
    SetCustomerFields,
    SetOrderFields,
)
from mailbot.act.views import CustomerView, OrderView, ServiceView, Snapshot
from mailbot.config import Config
from mailbot.domain import AUTORENEW_METHODS, OPEN_ORDER_STATUSES, AuditEntry, Intent, PaymentMethod, ServiceStatus
from mailbot.errors import InputError
from mailbot.understand.identifiers import check_field

# Order column <- understood field, for PA billing details.
PA_ORDER_FIELDS = {"cig": "cig", "cup": "cup", "office_code": "office_code", "pa_username": "username"}
# Customer column <- understood field, for billing data changes.
BILLING_FIELDS = ("vat_number", "fiscal_code", "pec", "recipient_code")


# A staged change's ``order_id`` for the order a renewal request of the same message makes.
NEW_ORDER = "new"


class ChangeNotApplicable(InputError):
    """The staged change cannot be applied (any more); the message says why."""


def check_changes(
    staged: Sequence[tuple[str, Mapping[str, Any]]], snapshot: Snapshot, config: Config, today: date
) -> list[Change]:
    """Every ``(intent, change)`` of one message checked in order, as ``check_change`` checks one; a
    change naming ``NEW_ORDER`` needs a renewal before it. Raises ``ChangeNotApplicable`` for the first
    that cannot be applied (naming its intent): then none is."""
    checked: list[Change] = []
    for intent, change in staged:
        try:
            if change.get("order_id") == NEW_ORDER:
                if not any(isinstance(c.effect, CreateOrder) for c in checked):
                    raise ChangeNotApplicable("no renewal before it makes the order it names")
                checked.append(_on_new_order(intent, change))
            else:
                checked.append(check_change(intent, change, snapshot, config, today))
        except ChangeNotApplicable as exc:
            raise ChangeNotApplicable(f"{intent}: {exc}") from None
    return checked


def _on_new_order(intent: str, change: Mapping[str, Any]) -> Change:
    """A PA's codes or a payment announced for the order a renewal of the same message makes."""
    if intent == Intent.PA_BILLING_DETAILS:
        values = change.get("set") or {}
        stored = _checked_values(
            values, PA_ORDER_FIELDS, "a billing detail of an order", "no valid billing detail to attach"
        )
        audit = AuditEntry("order.pa_details", "order", NEW_ORDER, {"set": dict(values), "before": {}})
        summary = "the new order: " + ", ".join(f"{k} {v}" for k, v in values.items())
        return Change(Intent.PA_BILLING_DETAILS, SetOrderFields(None, stored), summary, (audit,))
    if intent == Intent.PAYMENT_NOTICE:
        reference = change.get("payment_reference")
        audit = AuditEntry("order.payment_announced", "order", NEW_ORDER, {"payment_reference": reference})
        summary = f"the new order: payment announced ({reference or 'no reference'})"
        return Change(Intent.PAYMENT_NOTICE, AnnouncePayment(None), summary, (audit,))
    raise ChangeNotApplicable(f"{intent} cannot name the new order")


def check_change(intent: str, change: Mapping[str, Any], snapshot: Snapshot, config: Config, today: date) -> Change:
    """The change of ``intent`` checked against ``snapshot``; raises ``ChangeNotApplicable``."""
    customer = snapshot.customer
    if customer is None:
        raise ChangeNotApplicable("no customer is linked to this change")
    if intent == Intent.PA_BILLING_DETAILS:
        return _pa(snapshot, customer, change)
    if intent == Intent.RENEWAL_REQUEST:
        return _renewal(snapshot, customer, change, config, today)
    if intent == Intent.PAYMENT_NOTICE:
        return _payment_notice(snapshot, customer, change)
    if intent == Intent.BILLING_UPDATE:
        return _billing(customer, change)
    if intent in (Intent.AUTORENEW_ON, Intent.AUTORENEW_OFF):
        return _autorenew(customer, change, today, on=intent == Intent.AUTORENEW_ON)
    if intent == Intent.CANCELLATION:
        return _cancellation(customer, change)
    raise ChangeNotApplicable(f"{intent} has no automatic change: handle it by hand, then close the ticket")


def _open_order(snapshot: Snapshot, customer: CustomerView, order_id: Any) -> OrderView:
    if not isinstance(order_id, int):
        raise ChangeNotApplicable("no single order awaiting payment was identified")
    order = next((o for o in snapshot.open_orders if o.id == order_id), None)
    if order is None and snapshot.order is not None and snapshot.order.id == order_id:
        order = snapshot.order
    if order is None or order.customer_id != customer.id:
        raise ChangeNotApplicable(f"order {order_id} does not exist or is not this customer's")
    if order.status not in OPEN_ORDER_STATUSES:
        raise ChangeNotApplicable(f"order {order.number} is {order.status.value}")
    return order


def _services(customer: CustomerView, ids: Any) -> list[ServiceView]:
    if not isinstance(ids, list) or not ids:
        raise ChangeNotApplicable("no service was identified")
    mine = {s.id: s for s in customer.services}
    found = [mine[i] for i in ids if i in mine]
    if len(found) != len(ids):
        raise ChangeNotApplicable("a service of the change does not exist or is not this customer's")
    return found


def _checked_values(values: Any, allowed: Mapping[str, str], what: str, empty: str) -> dict[str, str | None]:
    """``values`` (column -> value) each checked as its field; their stored forms."""
    if not isinstance(values, dict) or not values:
        raise ChangeNotApplicable(empty)
    stored: dict[str, str | None] = {}
    for column, value in values.items():
        if column not in allowed:
            raise ChangeNotApplicable(f"{column} is not {what}")
        form, reason = check_field(allowed[column], value)
        if reason:
            raise ChangeNotApplicable(f"{column} {value!r}: {reason}")
        stored[column] = form
    return stored


def _pa(snapshot: Snapshot, customer: CustomerView, change: Mapping[str, Any]) -> Change:
    order = _open_order(snapshot, customer, change.get("order_id"))
    values = change.get("set") or {}
    stored = _checked_values(
        values, PA_ORDER_FIELDS, "a billing detail of an order", "no valid billing detail to attach"
    )
    before = {column: getattr(order, column) for column in stored}
    audit = AuditEntry(
        "order.pa_details", "order", order.number, {"order_id": order.id, "set": dict(values), "before": before}
    )
    summary = f"order {order.number}: " + ", ".join(f"{k} {v}" for k, v in values.items())
    return Change(Intent.PA_BILLING_DETAILS, SetOrderFields(order.id, stored), summary, (audit,))


def _renewal(
    snapshot: Snapshot, customer: CustomerView, change: Mapping[str, Any], config: Config, today: date
) -> Change:
    services = _services(customer, change.get("service_ids"))
    ids = {s.id for s in services}
    if len(ids) != len(services):
        raise ChangeNotApplicable("a service appears twice in the order")
    busy = [o for o in snapshot.open_orders if ids & set(o.service_ids)]
    if busy:
        raise ChangeNotApplicable(f"order {busy[0].number} is already open for these services")
    try:
        method = PaymentMethod(str(change.get("method", "bank_transfer")))
        years = int(change.get("years", 1))
    except ValueError as exc:
        raise ChangeNotApplicable(str(exc)) from None
    grace = timedelta(days=config.reminders.grace_days)
    for s in services:  # as ``orders.create_order`` checks them
        if not (s.status == ServiceStatus.ACTIVE and today <= s.expires_on + grace):
            raise ChangeNotApplicable(
                f"service {s.external_id} cannot be renewed: status {s.status.value}, "
                f"expired on {s.expires_on.isoformat()} (grace {config.reminders.grace_days} days)"
            )
        if not 1 <= years <= s.product.years_allowed:
            kind = "promotional product" if s.product.promo else "product"
            raise ChangeNotApplicable(
                f"years: {years} not allowed for {kind} {s.product.code} (1 to {s.product.years_allowed} years)"
            )
    if method == PaymentMethod.NONE:
        raise ChangeNotApplicable(f"payment method {method.value!r} cannot pay an order")
    if method == PaymentMethod.BANK_TRANSFER and years != 1:
        raise ChangeNotApplicable(f"years: bank transfer renews for one year only, not {years}")
    effect = CreateOrder(customer.id, tuple(s.id for s in services), years, method)
    return Change(Intent.RENEWAL_REQUEST, effect, "")


def _payment_notice(snapshot: Snapshot, customer: CustomerView, change: Mapping[str, Any]) -> Change:
    order = _open_order(snapshot, customer, change.get("order_id"))
    reference = change.get("payment_reference")
    audit = AuditEntry(
        "order.payment_announced", "order", order.number, {"order_id": order.id, "payment_reference": reference}
    )
    summary = f"order {order.number}: payment announced ({reference or 'no reference'})"
    return Change(Intent.PAYMENT_NOTICE, AnnouncePayment(order.id), summary, (audit,))


def _billing(customer: CustomerView, change: Mapping[str, Any]) -> Change:
    values = change.get("set") or {}
    stored = _checked_values(values, {f: f for f in BILLING_FIELDS}, "billing data", "no valid billing data to change")
    before = {name: getattr(customer, name) for name in stored}
    audit = AuditEntry(
        "customer.billing_updated", "customer", customer.external_id, {"set": dict(values), "before": before}
    )
    summary = f"customer {customer.external_id}: " + ", ".join(f"{k} {v}" for k, v in values.items())
    return Change(Intent.BILLING_UPDATE, SetCustomerFields(customer.id, stored), summary, (audit,))


def _autorenew(customer: CustomerView, change: Mapping[str, Any], today: date, *, on: bool) -> Change:
    services = _services(customer, change.get("service_ids"))
    if on:
        for service in services:
            if service.payment_method not in AUTORENEW_METHODS:
                raise ChangeNotApplicable(
                    f"service {service.external_id}: automatic renewal needs card or PayPal, "
                    f"not {service.payment_method.value}"
                )
            if service.expires_on < today or service.status != ServiceStatus.ACTIVE:
                raise ChangeNotApplicable(f"service {service.external_id} has expired: no automatic renewal")
    action = "service.autorenew_on" if on else "service.autorenew_off"
    audit = tuple(AuditEntry(action, "service", s.external_id) for s in services)
    summary = f"automatic renewal {'on' if on else 'off'}: " + ", ".join(s.external_id for s in services)
    intent = Intent.AUTORENEW_ON if on else Intent.AUTORENEW_OFF
    return Change(intent, SetAutorenew(tuple(s.id for s in services), on), summary, audit)


def _cancellation(customer: CustomerView, change: Mapping[str, Any]) -> Change:
    services = _services(customer, change.get("service_ids"))
    audit = tuple(AuditEntry("service.cancelled", "service", s.external_id) for s in services)
    summary = "cancelled: " + ", ".join(s.external_id for s in services)
    return Change(Intent.CANCELLATION, CancelServices(tuple(s.id for s in services)), summary, audit)
