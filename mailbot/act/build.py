"""Building the staged change a customer's message asks for, from what was understood and the database.

``build_change`` returns a ``Staged``: the JSON-ready ``change`` that ``actions_changes.apply_change``
applies (at once, or when staff approve the request holding it), the ``doubts`` that forbid applying
it without a person even for a verified sender (several orders and none named, services not named,
several CIG values...), and a ``note`` when there is nothing to change at all.

Which order: the matched one while it awaits payment, else the customer's only open order. Which
services: those of the email answered (its reminder steps) or of the matched order, else those whose
username the message names, else the customer's only candidate; several candidates are all proposed,
with a doubt, so a person decides.

Renewal by email: the years asked, capped by the products' limits (promotional products 1-2 years);
paid with the method on file for card/PayPal; public administrations pay by bank transfer (split
payment), which renews for one year only; others asking several years get an online payment link
(PayPal, which also takes cards), one year by the method on file or bank transfer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session, selectinload

from mailbot.act.changes import BILLING_FIELDS, PA_ORDER_FIELDS
from mailbot.act.matching import Match
from mailbot.app import App
from mailbot.db.models import Customer, Order, ReminderClaim, Service
from mailbot.domain import AUTORENEW_METHODS, OPEN_ORDER_STATUSES, CustomerKind, PaymentMethod, ServiceStatus
from mailbot.understand.reading import Understanding

# Understood field -> order column, for PA billing details (the inverse of PA_ORDER_FIELDS).
PA_FIELD_COLUMNS = {understood: column for column, understood in PA_ORDER_FIELDS.items()}


@dataclass(frozen=True)
class Staged:
    change: dict[str, Any] | None  # None: nothing this message could change
    doubts: tuple[str, ...] = ()
    order: Order | None = None
    services: tuple[Service, ...] = ()
    years_asked: int | None = None  # renewal: the years asked when the change has fewer
    note: str = ""  # why there is no change, for people
    extra: dict[str, Any] = field(default_factory=dict)


def build_change(
    session: Session, app: App, u: Understanding, match: Match, customer: Customer, now: datetime
) -> Staged:
    """The change ``u`` asks of ``customer``'s data, checked against the database as it is now."""
    builders = {
        "pa_billing_details": _pa_details,
        "renewal_request": _renewal,
        "payment_notice": _payment_notice,
        "billing_update": _billing_update,
        "autorenew_off": _autorenew,
        "autorenew_on": _autorenew,
        "cancellation": _cancellation,
        "upgrade_request": _upgrade,
    }
    builder = builders.get(u.intent)
    if builder is None:
        return Staged(None, note=f"{u.intent} changes nothing by itself")
    return builder(session, app, u, match, customer, now)


# Orders ------------------------------------------------------------------------------------------


# Built once, with bound parameters: building them cost about as much as running them.
_OPEN_ORDERS = (
    select(Order)
    .where(Order.customer_id == bindparam("customer_id"), Order.status.in_(sorted(OPEN_ORDER_STATUSES)))
    .order_by(Order.id)
)
_SERVICES_OF_EMAIL = (
    select(ReminderClaim.service_id)
    .where(ReminderClaim.outbound_id == bindparam("outbound_id"))
    .order_by(ReminderClaim.id)
)
_CLAIMS_OF_EMAILS = (
    select(ReminderClaim.outbound_id, ReminderClaim.service_id)
    .where(ReminderClaim.outbound_id.in_(bindparam("ids", expanding=True)))
    .order_by(ReminderClaim.id)
)
_CLAIMS = "mailbot.email_services"  # session.info: outbound id -> the ids of the services it was about
_CUSTOMERS_WITH_SERVICES = (
    select(Customer)
    .where(Customer.id.in_(bindparam("ids", expanding=True)))
    .options(selectinload(Customer.services).selectinload(Service.product))
)
_OPEN_ORDERS_WITH_SERVICES = (
    select(Order)
    .where(Order.customer_id.in_(bindparam("ids", expanding=True)), Order.status.in_(sorted(OPEN_ORDER_STATUSES)))
    .order_by(Order.id)
    .options(selectinload(Order.services))
)
_KNOWN = "mailbot.open_orders"  # session.info: customer id -> open orders, inside ``known_open_orders``

OpenOrders = dict[int, list[Order]]


def preload(session: Session, customer_ids: Iterable[int], outbound_ids: Iterable[int] = ()) -> OpenOrders:
    """Load at once what building the changes of these customers reads: their services with the
    products, their open orders with the services, and the services each email they answered was
    about (``outbound_ids``). A batch calls it for the customers it is about to change, so that each
    message does not load them one relationship at a time; the objects stay in the session (the
    batch holds them). Returns each customer's open orders, for ``known_open_orders``."""
    emails = sorted(set(outbound_ids))
    if emails:  # an email's services are written with it and never change: known for the session's life
        claimed: dict[int, list[int]] = session.info.setdefault(_CLAIMS, {})
        for outbound_id in emails:
            claimed.setdefault(outbound_id, [])
        for outbound_id, service_id in session.execute(_CLAIMS_OF_EMAILS, {"ids": emails}):
            claimed[outbound_id].append(service_id)
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    session.scalars(_CUSTOMERS_WITH_SERVICES, {"ids": ids}).all()
    found: OpenOrders = {i: [] for i in ids}
    for order in session.scalars(_OPEN_ORDERS_WITH_SERVICES, {"ids": ids}):
        found[order.customer_id].append(order)
    return found


@contextmanager
def known_open_orders(session: Session, known: OpenOrders) -> Iterator[None]:
    """Inside this block ``open_orders`` answers from ``known`` and from its own earlier answers,
    while the session has not flushed since: then the query would find the very same rows, because
    with autoflush off (the only time it answers so) a query sees the database as of the last flush,
    and the same objects from the session. A flush, or a savepoint rolled back, forgets them all."""
    memo: OpenOrders = dict(known)

    def forget(*_: Any) -> None:
        memo.clear()

    session.info[_KNOWN] = memo
    event.listen(session, "after_flush", forget)
    event.listen(session, "after_soft_rollback", forget)
    try:
        yield
    finally:
        event.remove(session, "after_flush", forget)
        event.remove(session, "after_soft_rollback", forget)
        session.info.pop(_KNOWN, None)


def open_orders(session: Session, customer: Customer) -> list[Order]:
    memo: OpenOrders | None = session.info.get(_KNOWN) if not session.autoflush else None
    if memo is not None and customer.id in memo:
        return list(memo[customer.id])
    found = list(session.scalars(_OPEN_ORDERS, {"customer_id": customer.id}))
    if memo is not None:
        memo[customer.id] = found
    return list(found)


def target_order(session: Session, match: Match, customer: Customer) -> tuple[Order | None, list[str], str]:
    """The order the message is about: (order or None, doubts, note when none at all)."""
    if match.order_id is not None:
        order = session.get(Order, match.order_id)
        if order is not None and order.customer_id == customer.id:
            if order.status in OPEN_ORDER_STATUSES:
                return order, [], ""
            return None, [], f"order {order.number} is {order.status.value}, not awaiting payment"
    candidates = open_orders(session, customer)
    if len(candidates) == 1:
        return candidates[0], [], ""
    if not candidates:
        return None, [], "no order of this customer awaits payment"
    numbers = ", ".join(o.number for o in candidates)
    return None, [f"{len(candidates)} orders await payment ({numbers}) and the message names none"], ""


def _pa_details(
    session: Session, app: App, u: Understanding, match: Match, customer: Customer, now: datetime
) -> Staged:
    values: dict[str, str] = {}
    doubts: list[str] = []
    for name, column in PA_FIELD_COLUMNS.items():
        found = u.fields.get(name)
        items = list(found) if isinstance(found, list | tuple) else ([found] if found else [])
        if len(items) == 1:
            values[column] = str(items[0])
        elif len(items) > 1:
            doubts.append(f"several {name} values ({', '.join(map(str, items))}): a person chooses")
    if not values and not doubts:
        return Staged(None, note="no valid billing detail in the message")
    order, order_doubts, note = target_order(session, match, customer)
    if note:
        return Staged(None, note=note, extra={"set": values})
    change = {"order_id": order.id if order is not None else None, "set": values}
    return Staged(change, tuple(doubts + order_doubts), order=order)


def _payment_notice(
    session: Session, app: App, u: Understanding, match: Match, customer: Customer, now: datetime
) -> Staged:
    order, doubts, note = target_order(session, match, customer)
    reference = u.fields.get("payment_reference")
    if note:
        return Staged(None, note=note)
    return Staged({"order_id": order.id if order else None, "payment_reference": reference}, tuple(doubts), order)


def _billing_update(
    session: Session, app: App, u: Understanding, match: Match, customer: Customer, now: datetime
) -> Staged:
    values = {name: str(u.fields[name]) for name in BILLING_FIELDS if u.fields.get(name)}
    if not values:
        return Staged(None, note="no valid billing data in the message")
    return Staged({"set": values})


# Services ----------------------------------------------------------------------------------------


def named_services(session: Session, u: Understanding, match: Match, customer: Customer) -> list[Service]:
    """The services the message is explicitly about: of the email answered, the matched order, a username."""
    if match.outbound_id is not None:
        known: dict[int, list[int]] = session.info.get(_CLAIMS, {})
        ids = (
            known[match.outbound_id]
            if match.outbound_id in known
            else session.scalars(_SERVICES_OF_EMAIL, {"outbound_id": match.outbound_id})
        )
        found = [s for s in (session.get(Service, i) for i in dict.fromkeys(ids)) if s is not None]
        if found:
            return [s for s in found if s.customer_id == customer.id]
    if match.order_id is not None:
        order = session.get(Order, match.order_id)
        if order is not None and order.customer_id == customer.id:
            return list(order.services)
    username = str(u.fields.get("username") or "").strip().lower()
    if username:
        return [s for s in customer.services if s.username.lower() == username]
    return []


def choose_services(
    named: Sequence[Service], candidates: Sequence[Service], what: str
) -> tuple[list[Service], list[str]]:
    """The named services that are candidates; else the only candidate; else all of them, with a doubt."""
    ids = {c.id for c in candidates}
    if named:
        chosen = [s for s in named if s.id in ids]
        skipped = [s.external_id for s in named if s.id not in ids]
        return chosen, [f"not {what}: {', '.join(skipped)}"] if skipped and chosen else []
    if len(candidates) > 1:
        return list(candidates), [f"the message names no service: all {len(candidates)} {what} are proposed"]
    return list(candidates), []


def _services_change(
    services: Sequence[Service], doubts: Sequence[str], what: str, extra: dict[str, Any] | None = None
) -> Staged:
    if not services:
        return Staged(None, note=f"no service {what}")
    change = {"service_ids": [s.id for s in services], **(extra or {})}
    return Staged(change, tuple(doubts), services=tuple(services))


def _autorenew(session: Session, app: App, u: Understanding, match: Match, customer: Customer, now: datetime) -> Staged:
    on = u.intent == "autorenew_on"
    today = now.astimezone(app.config.tz).date()
    if on:
        candidates = [
            s
            for s in customer.services
            if not s.autorenew
            and s.status == ServiceStatus.ACTIVE
            and s.expires_on >= today
            and s.payment_method in AUTORENEW_METHODS
        ]
        what = "that can renew automatically (active, paid by card or PayPal)"
    else:
        candidates = [s for s in customer.services if s.autorenew]
        what = "with automatic renewal on"
    chosen, doubts = choose_services(named_services(session, u, match, customer), candidates, what)
    return _services_change(chosen, doubts, what)


def _cancellation(
    session: Session, app: App, u: Understanding, match: Match, customer: Customer, now: datetime
) -> Staged:
    candidates = [s for s in customer.services if s.status != ServiceStatus.CANCELLED]
    what = "still active"
    chosen, doubts = choose_services(named_services(session, u, match, customer), candidates, what)
    return _services_change(chosen, doubts, what)


def _upgrade(session: Session, app: App, u: Understanding, match: Match, customer: Customer, now: datetime) -> Staged:
    named = named_services(session, u, match, customer)
    services = named or [s for s in customer.services if s.status == ServiceStatus.ACTIVE]
    change = {"service_ids": [s.id for s in services], "request": u.reading.new_text[:2000]}
    return Staged(change, ("an upgrade is priced and set up by a person",), services=tuple(services))


def _renewal(session: Session, app: App, u: Understanding, match: Match, customer: Customer, now: datetime) -> Staged:
    today = now.astimezone(app.config.tz).date()
    grace = timedelta(days=app.config.reminders.grace_days)
    candidates = [s for s in customer.services if s.status == ServiceStatus.ACTIVE and today <= s.expires_on + grace]
    what = "that can be renewed (active, not past the grace period)"
    services, doubts = choose_services(named_services(session, u, match, customer), candidates, what)
    if not services:
        return Staged(None, note=f"no service {what}")
    busy = [o for o in open_orders(session, customer) if {s.id for s in o.services} & {s.id for s in services}]
    if busy:
        doubts.append(f"order {busy[0].number} already awaits payment for these services")
    asked = int(u.fields.get("years") or 1)
    method = renewal_method(customer, services, asked)
    limit = min(s.product.years_allowed for s in services)
    if method == PaymentMethod.BANK_TRANSFER:
        limit = 1
    years = max(1, min(asked, limit))
    change = {"service_ids": [s.id for s in services], "years": years, "method": method.value, "years_asked": asked}
    return Staged(
        change,
        tuple(doubts),
        services=tuple(services),
        years_asked=asked if asked > years else None,
        order=busy[0] if busy else None,
    )


def renewal_method(customer: Customer, services: Sequence[Service], years: int) -> PaymentMethod:
    """How an order asked for by email is paid (see the module's docstring)."""
    if customer.kind == CustomerKind.PUBLIC_ADMINISTRATION or customer.split_payment:
        return PaymentMethod.BANK_TRANSFER
    on_file = {s.payment_method for s in services}
    if len(on_file) == 1 and next(iter(on_file)) in AUTORENEW_METHODS:
        return next(iter(on_file))
    if years > 1:
        return PaymentMethod.PAYPAL
    if len(on_file) == 1 and next(iter(on_file)) == PaymentMethod.POSTAL_SLIP:
        return PaymentMethod.POSTAL_SLIP
    return PaymentMethod.BANK_TRANSFER
