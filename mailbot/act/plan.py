"""A plan: what acting on one message will do, as values. ``decide`` makes it, ``write.Writer`` carries it out.

Nothing here reads or writes anything. A plan names rows by the ids it knows (an existing order, a
customer, services); what only the writing can know (the number of the ticket it opens, of an order it
creates, the outbox ids of its emails, whether the daily reply cap still leaves room) the writer fills
in, and the notes it stores on the message say it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mailbot.domain import AuditEntry, InboundStatus, PaymentMethod, ReplyOutcome, TicketKind
from mailbot.outbound.context import RequestOutcome

ACTOR = "mailbot"


# Changes to the data, applied in the plan's order ---------------------------------------------------


@dataclass(frozen=True)
class SetOrderFields:
    """A PA's billing details (CIG, CUP, office code, username) on an order awaiting payment."""

    order_id: int | None  # None: the order a renewal of the same message made just before
    values: Mapping[str, str | None]  # column -> value as stored


@dataclass(frozen=True)
class CreateOrder:
    """A renewal order awaiting payment, with its payment instructions (``orders.create_order``)."""

    customer_id: int
    service_ids: tuple[int, ...]
    years: int
    method: PaymentMethod


@dataclass(frozen=True)
class AnnouncePayment:
    order_id: int | None  # None: the order a renewal of the same message made just before


@dataclass(frozen=True)
class SetCustomerFields:
    """Billing data (VAT number, fiscal code, PEC, recipient code) of a customer."""

    customer_id: int
    values: Mapping[str, str | None]  # column -> value as stored


@dataclass(frozen=True)
class SetAutorenew:
    service_ids: tuple[int, ...]
    on: bool


@dataclass(frozen=True)
class CancelServices:
    service_ids: tuple[int, ...]


@dataclass(frozen=True)
class FailEmail:
    """A permanent bounce: our email failed (only if it is still marked sent)."""

    outbound_id: int
    reason: str


@dataclass(frozen=True)
class MarkUndeliverable:
    """A 5.1.x bounce: the customer's address is flagged, if it is still that address and not flagged yet."""

    customer_id: int
    address: str
    reason: str
    details: Mapping[str, Any]
    lead: str  # the note, which the writer ends with what it found


Effect = SetOrderFields | CreateOrder | AnnouncePayment | SetCustomerFields | SetAutorenew | CancelServices
BounceEffect = FailEmail | MarkUndeliverable


@dataclass(frozen=True)
class Change:
    """A change checked against the snapshot and applied now: its effect, the audit of it and what it
    says to people (``summary``; empty for a new order, whose number the writer gives)."""

    intent: str
    effect: Effect
    summary: str
    audit: tuple[AuditEntry, ...] = ()


# Tickets and emails --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewTicket:
    kind: TicketKind
    intent: str
    summary: str
    details: Mapping[str, Any]
    customer_id: int | None
    order_id: int | None
    reason: str = ""  # a request: the first reason it waits for staff (in the message's notes)


@dataclass(frozen=True)
class ReplyPlan:
    """The automatic reply to the person who wrote (rendered by the writer with the ticket's number and
    the order as it is once written)."""

    outcome: ReplyOutcome
    order_id: int | None = None  # an order already there
    order_of_change: bool = False  # the order the plan's change creates
    service_ids: tuple[int, ...] = ()
    years_asked: int | None = None
    method_asked: str | None = None  # renewal: the way to pay asked, when the order is paid another way
    staged_values: Mapping[str, str] = field(default_factory=dict)  # order column -> value, held for staff
    key: str | None = None  # the outbox idempotency key; default reply:<inbound id>:<template>
    parts: tuple[RequestOutcome, ...] = ()  # a message of several requests: each one's outcome, in acting order
    account_status: bool = False  # the reply is the account's status (account_status), to an address on file


@dataclass(frozen=True)
class Plan:
    """What acting on one message does. ``unanswered``: the plan to follow instead when the reply it
    needs cannot go (the daily cap, or already sent)."""

    status: InboundStatus
    notes: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()  # applied in this order (a renewal's order before its PA codes)
    bounce: tuple[BounceEffect, ...] = ()
    ticket: NewTicket | None = None
    reply: ReplyPlan | None = None
    # Why no reply may go (a note). A change applied keeps its ``reply`` then: the notices say the same.
    no_reply: str = ""
    notices: tuple[str, ...] = ()  # addresses on file told of the change (but the one the reply reaches)
    unanswered: Plan | None = None

    @property
    def changes_matching(self) -> bool:
        """A change touches what matching reads (a customer's addresses): later messages match again."""
        return any(isinstance(change.effect, SetCustomerFields) for change in self.changes)
