"""What deciding sees: plain, frozen values of the customer, services, orders and emails a message is
about, and of the match. No ORM object and no session reaches ``decide``: ``load`` builds these from
the database, tests build them by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mailbot.domain import Cadence, CustomerKind, OrderStatus, OutboundStatus, PaymentMethod, ServiceStatus
from mailbot.understand.authentication import NOT_CHECKED, SenderAuth


@dataclass(frozen=True)
class Match:
    """Which account, order and email of ours a message belongs to, and whether its sender is verified
    (``matching``)."""

    method: str | None  # token | in_reply_to | order_number | sender | None (unmatched)
    customer_id: int | None
    order_id: int | None
    outbound_id: int | None
    verified: bool
    unverified: str = ""  # why the sender is not verified (empty when verified)
    notes: tuple[str, ...] = ()  # for staff: an expired token, an order number quoted by a stranger
    authentication: str = ""  # what authenticated the From, or why nothing did (``SenderAuth.detail``)

    def details(self) -> dict[str, object]:
        """What staff see of the match, on the message and its tickets."""
        return {
            "method": self.method,
            "verified": self.verified,
            "unverified": self.unverified,
            "authentication": self.authentication,
            "notes": list(self.notes),
        }


UNMATCHED = Match(None, None, None, None, False, "matched to no customer")


@dataclass(frozen=True)
class MatchKeys:
    """What a message offers to be matched by, in the order each kind is tried."""

    tokens: tuple[str, ...]
    message_ids: tuple[str, ...]  # normalised, most telling first
    order_numbers: tuple[str, ...]
    sender: str | None
    message_id_domain: str = ""  # ours, as configured (its case is kept in the stored Message-IDs)
    sender_auth: SenderAuth = NOT_CHECKED  # whether the From is authenticated (``sender_auth``)


@dataclass(frozen=True)
class ProductView:
    code: str
    promo: bool
    years_allowed: int
    price_cents: int
    cadence: Cadence
    bank_transfer_fee_cents: int


@dataclass(frozen=True)
class ServiceView:
    id: int
    external_id: str
    customer_id: int
    label: str
    username: str
    status: ServiceStatus
    expires_on: date
    autorenew: bool
    payment_method: PaymentMethod
    card_expires: date | None
    product: ProductView


@dataclass(frozen=True)
class OrderView:
    id: int
    number: str
    customer_id: int
    status: OrderStatus
    service_ids: tuple[int, ...]
    cig: str | None = None
    cup: str | None = None
    office_code: str | None = None
    pa_username: str | None = None


@dataclass(frozen=True)
class CustomerView:
    id: int
    external_id: str
    name: str
    kind: CustomerKind
    language: str | None
    email: str | None
    pec: str | None
    split_payment: bool
    vat_number: str | None = None
    fiscal_code: str | None = None
    recipient_code: str | None = None
    services: tuple[ServiceView, ...] = ()


@dataclass(frozen=True)
class EmailView:
    """One outbound email of ours (a bounce's subject, or the email a reply answers)."""

    id: int
    message_id: str
    to_address: str
    status: OutboundStatus
    customer_id: int | None
    template: str
    service_ids: tuple[int, ...] = ()  # the services it was about (its reminder claims)


@dataclass(frozen=True)
class Snapshot:
    """What deciding about one message reads: the matched customer with its services, that customer's
    open orders, the matched order and email. Empty where the message matched nothing."""

    customer: CustomerView | None = None
    open_orders: tuple[OrderView, ...] = ()
    order: OrderView | None = None  # the matched order, whatever its status
    email: EmailView | None = None  # the matched email

    def service(self, service_id: int) -> ServiceView | None:
        """One of the customer's services, or None."""
        if self.customer is not None:
            for s in self.customer.services:
                if s.id == service_id:
                    return s
        return None
