"""What a payment does to its order (pure): completes it, leaves it open, or goes to staff.

A payment is compared with what the order still needs: ``due_cents`` (under split payment a public
administration pays the net amount, and that is payment in full) less what was already received.
Exactly that completes the order; less leaves it open (staff are told, the customer is asked for the
rest); more completes it and staff handle the difference; money for an order that is no longer open
(paid, cancelled) goes to staff. A payment whose reference is already recorded for the order is the
same payment told twice: nothing happens.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mailbot.errors import InputError


class Settlement(enum.StrEnum):
    PAID = "paid"  # the order is complete
    PARTIAL = "partial"  # less than still due: the order stays open, staff are told
    EXCESS = "excess"  # more than still due: the order is complete, staff handle the difference
    ORDER_CLOSED = "order_closed"  # the order is paid or cancelled already: staff decide
    ALREADY_RECORDED = "already_recorded"  # the same reference for the same order: nothing to do

    @property
    def completes(self) -> bool:
        return self in (Settlement.PAID, Settlement.EXCESS)

    @property
    def for_staff(self) -> bool:
        return self in (Settlement.PARTIAL, Settlement.EXCESS, Settlement.ORDER_CLOSED)


@dataclass(frozen=True)
class OrderMoney:
    """What settling needs to know of an order."""

    number: str
    is_open: bool
    due_cents: int
    received_cents: int  # payments already recorded for it
    references: frozenset[str]  # their references, normalised (``same_reference``)


def same_reference(reference: str | None) -> str | None:
    """A reference as compared: without spaces, upper case ("0306 9012" is "03069012")."""
    if reference is None:
        return None
    cleaned = "".join(reference.split()).upper()
    return cleaned or None


def settle(order: OrderMoney, amount_cents: int, reference: str | None) -> Settlement:
    """What a payment of ``amount_cents`` with ``reference`` does to ``order``."""
    if amount_cents <= 0:
        raise InputError(f"amount: a payment must be more than zero, got {amount_cents / 100:.2f}")
    key = same_reference(reference)
    if key is not None and key in order.references:
        return Settlement.ALREADY_RECORDED
    if not order.is_open:
        return Settlement.ORDER_CLOSED
    still_due = order.due_cents - order.received_cents
    if amount_cents < still_due:
        return Settlement.PARTIAL
    return Settlement.PAID if amount_cents == still_due else Settlement.EXCESS
