"""Opening a support ticket at once, in its own flush: for a message that could not be processed
(quarantined), or for money or an invoice staff must look at (``billing``).

Below both ``store`` (a message quarantined as it is stored) and ``tickets`` (what staff do with a
ticket), so that neither imports the other. (The tickets of messages acted on are written by
``write.Writer``.)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mailbot import audit
from mailbot.db.models import InboundMessage, Ticket
from mailbot.domain import AuditEntry, Intent, TicketKind, TicketStatus


def open_support_ticket(
    session: Session,
    *,
    intent: str,
    summary: str,
    details: Mapping[str, Any],
    now: datetime,
    customer_id: int | None = None,
    order_id: int | None = None,
    inbound_id: int | None = None,
) -> int:
    """An open support ticket, inserted at once; its number."""
    ticket = Ticket(
        kind=TicketKind.SUPPORT,
        status=TicketStatus.OPEN,
        intent=intent,
        summary=summary,
        details=dict(details),
        customer_id=customer_id,
        order_id=order_id,
        inbound_id=inbound_id,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    return ticket.id


def open_quarantine_ticket(
    session: Session, inbound: InboundMessage, summary: str, now: datetime, details: Mapping[str, Any] | None = None
) -> int:
    """A support ticket so staff see a message that could not be processed (its error and Message-ID,
    and ``details``), inserted and audited (``ticket.opened`` with ``quarantine: true``) at once.
    Returns its number."""
    ticket_id = open_support_ticket(
        session,
        intent=Intent.OTHER,
        summary=summary,
        details={"error": inbound.error or "", "message_id": inbound.message_id or "", **(details or {})},
        now=now,
        customer_id=inbound.customer_id,
        order_id=inbound.order_id,
        inbound_id=inbound.id,
    )
    audit.record(
        session,
        AuditEntry(
            "ticket.opened",
            "ticket",
            ticket_id,
            {"kind": TicketKind.SUPPORT.value, "intent": Intent.OTHER.value, "quarantine": True},
        ),
        actor="mailbot",
        now=now,
        message_ref=inbound.message_id,
    )
    session.flush()
    return ticket_id
