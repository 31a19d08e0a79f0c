"""Loading what deciding reads: ``Snapshot`` values of the customers, orders and emails that the messages
of one transaction are about, with a few queries for a whole batch.

``Loader.load`` takes the matches of a batch and loads at once the matched customers with their
services and products, those customers' open orders with their services, the matched orders and
emails, and the services of the emails answered (their reminder claims). ``snapshot`` then builds each
message's values from what was loaded, with no query. The loader holds the loaded objects (the session
keeps them only weakly), and the writer tells it of the orders it creates (``order_created``), so a
later message of the batch sees them as one processed alone would. After a change the rest of the
batch is matched again, and ``load`` is asked for the new matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session, selectinload

from mailbot.act.views import (
    CustomerView,
    EmailView,
    Match,
    OrderView,
    ProductView,
    ServiceView,
    Snapshot,
)
from mailbot.db.models import Customer, Invoice, Order, OutboundMessage, ReminderClaim, Service
from mailbot.domain import OPEN_ORDER_STATUSES, CustomerFacts, InvoiceStatus
from mailbot.outbound.account_status import AccountFacts, AccountOrder, AccountService

_CUSTOMERS = (
    select(Customer)
    .where(Customer.id.in_(bindparam("ids", expanding=True)))
    .options(selectinload(Customer.services).selectinload(Service.product))
)
_OPEN_ORDERS = (
    select(Order)
    .where(Order.customer_id.in_(bindparam("ids", expanding=True)), Order.status.in_(sorted(OPEN_ORDER_STATUSES)))
    .order_by(Order.id)
    .options(selectinload(Order.services))
)
_ORDERS = select(Order).where(Order.id.in_(bindparam("ids", expanding=True))).options(selectinload(Order.services))
_EMAILS = select(OutboundMessage).where(OutboundMessage.id.in_(bindparam("ids", expanding=True)))
# A customer's orders, each with the number of its issued invoice: the account's status.
_ACCOUNT_ORDERS = (
    select(Order.number, Order.type, Order.created_at, Order.due_cents, Order.status, Invoice.number)
    .outerjoin(Invoice, and_(Invoice.order_id == Order.id, Invoice.status == InvoiceStatus.ISSUED))
    .where(Order.customer_id == bindparam("customer_id"))
)
_CLAIMS = (
    select(ReminderClaim.outbound_id, ReminderClaim.service_id)
    .where(ReminderClaim.outbound_id.in_(bindparam("ids", expanding=True)))
    .order_by(ReminderClaim.id)
)


class Loader:
    """The customers, orders and emails one transaction's messages are about (see the module's docstring)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.customers: dict[int, Customer] = {}
        self.open_orders: dict[int, list[Order]] = {}  # customer id -> open orders, oldest first
        self.orders: dict[int, Order] = {}
        self.emails: dict[int, OutboundMessage] = {}
        self.claims: dict[int, list[int]] = {}  # outbound id -> the ids of the services it was about
        self._services: dict[int, Service] = {}  # the loaded customers' services, by id

    def load(self, matches: Iterable[Match]) -> None:
        """Load at once what the snapshots of ``matches`` read and is not loaded yet."""
        matches = list(matches)
        customers = sorted({m.customer_id for m in matches if m.customer_id is not None} - set(self.customers))
        if customers:
            for customer in self.session.scalars(_CUSTOMERS, {"ids": customers}):
                self.customers[customer.id] = customer
                self._services.update((s.id, s) for s in customer.services)
            for customer_id in customers:
                self.open_orders.setdefault(customer_id, [])
            for order in self.session.scalars(_OPEN_ORDERS, {"ids": customers}):
                self.open_orders[order.customer_id].append(order)
                self.orders[order.id] = order
        orders = sorted({m.order_id for m in matches if m.order_id is not None} - set(self.orders))
        if orders:
            for order in self.session.scalars(_ORDERS, {"ids": orders}):
                self.orders[order.id] = order
        emails = sorted({m.outbound_id for m in matches if m.outbound_id is not None} - set(self.emails))
        if emails:
            for email in self.session.scalars(_EMAILS, {"ids": emails}):
                self.emails[email.id] = email
            for outbound_id in emails:
                self.claims.setdefault(outbound_id, [])
            for outbound_id, service_id in self.session.execute(_CLAIMS, {"ids": emails}):
                self.claims[outbound_id].append(service_id)

    def order_created(self, order: Order) -> None:
        self.orders[order.id] = order
        self.open_orders.setdefault(order.customer_id, []).append(order)

    def customer(self, customer_id: int | None) -> Customer | None:
        if customer_id is None:
            return None
        if customer_id not in self.customers:
            self.load([Match(None, customer_id, None, None, False)])
        return self.customers.get(customer_id)

    def services(self, ids: Sequence[int]) -> list[Service]:
        return [self._services.get(i) or self.session.get_one(Service, i) for i in ids]

    def order(self, order_id: int | None) -> Order | None:
        if order_id is None:
            return None
        if order_id not in self.orders:
            self.load([Match(None, None, order_id, None, False)])
        return self.orders.get(order_id)

    def snapshot(self, match: Match) -> Snapshot:
        """The values deciding reads for a message with ``match`` (``load`` it first)."""
        self.load([match])
        customer = self.customers.get(match.customer_id) if match.customer_id is not None else None
        opened = (
            [o for o in self.open_orders.get(customer.id, []) if o.status in OPEN_ORDER_STATUSES] if customer else []
        )
        order = self.orders.get(match.order_id) if match.order_id is not None else None
        email = self.emails.get(match.outbound_id) if match.outbound_id is not None else None
        return Snapshot(
            customer=customer_view(customer) if customer is not None else None,
            open_orders=tuple(order_view(o) for o in opened),
            order=order_view(order) if order is not None else None,
            email=email_view(email, self.claims.get(email.id, [])) if email is not None else None,
        )


def customer_view(c: Customer) -> CustomerView:
    return CustomerView(
        id=c.id,
        external_id=c.external_id,
        name=c.name,
        kind=c.kind,
        language=c.language,
        email=c.email,
        pec=c.pec,
        split_payment=bool(c.split_payment),
        vat_number=c.vat_number,
        fiscal_code=c.fiscal_code,
        recipient_code=c.recipient_code,
        services=tuple(service_view(s) for s in c.services),
    )


def service_view(s: Service) -> ServiceView:
    p = s.product
    return ServiceView(
        id=s.id,
        external_id=s.external_id,
        customer_id=s.customer_id,
        label=s.label,
        username=s.username,
        status=s.status,
        expires_on=s.expires_on,
        autorenew=bool(s.autorenew),
        payment_method=s.payment_method,
        card_expires=s.card_expires,
        product=ProductView(
            p.code, bool(p.promo), p.years_allowed, p.price_cents, p.cadence, p.bank_transfer_fee_cents
        ),
    )


def order_view(o: Order) -> OrderView:
    return OrderView(
        id=o.id,
        number=o.number,
        customer_id=o.customer_id,
        status=o.status,
        service_ids=tuple(s.id for s in o.services),
        cig=o.cig,
        cup=o.cup,
        office_code=o.office_code,
        pa_username=o.pa_username,
    )


def email_view(e: OutboundMessage, service_ids: Sequence[int]) -> EmailView:
    return EmailView(e.id, e.message_id, e.to_address, e.status, e.customer_id, e.template, tuple(service_ids))


def customer_facts(c: Customer) -> CustomerFacts:
    """``c`` as its invoice and its account's status name it."""
    return CustomerFacts(
        external_id=c.external_id,
        name=c.name,
        kind=c.kind,
        email=c.email,
        language=c.language,
        vat_number=c.vat_number,
        fiscal_code=c.fiscal_code,
        pec=c.pec,
        recipient_code=c.recipient_code,
        street=c.street,
        postcode=c.postcode,
        city=c.city,
        province=c.province,
        country=c.country or "IT",
        split_payment=bool(c.split_payment),
    )


def account_facts(session: Session, c: Customer) -> AccountFacts:
    """The account's status as loaded (``outbound.account_status``): ``c`` with its services (loaded with it,
    or now) and its orders with their issued invoices' numbers, in one query."""
    return AccountFacts(
        customer=customer_facts(c),
        services=tuple(
            AccountService(
                external_id=s.external_id,
                label=s.label,
                username=s.username,
                product_name=s.product.name,
                expires_on=s.expires_on,
                autorenew=bool(s.autorenew),
                payment_method=s.payment_method,
                storage_used_mb=s.storage_used_mb,
                storage_quota_mb=s.storage_quota_mb,
                status=s.status,
            )
            for s in c.services
        ),
        orders=tuple(AccountOrder(*row) for row in session.execute(_ACCOUNT_ORDERS, {"customer_id": c.id})),
    )
