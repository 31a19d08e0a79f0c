"""Opening the ticket of a message that could not be processed (quarantined), at once, in its own flush.

Below both ``store`` (a message quarantined as it is stored) and ``tickets`` (what staff do with a
ticket), so that neither imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mailbot import audit
from mailbot.db.models import InboundMessage, Ticket
from mailbot.domain import AuditEntry, Intent, TicketKind, TicketStatus


def open_quarantine_ticket(
    session: Session, inbound: InboundMessage, summary: str, now: datetime, details: Mapping[str, Any] | None = None
) -> int:
    """A support ticket so staff see a message that could not be processed (its error and Message-ID,
    and ``details``), inserted and audited (``ticket.opened`` with ``quarantine: true``) at once.
    Returns its number. (The tickets of messages acted on are written by ``write.Writer``.)"""
    ticket = Ticket(
        kind=TicketKind.SUPPORT,
        status=TicketStatus.OPEN,
        intent=Intent.OTHER,
        summary=summary,
        details={"error": inbound.error or "", "message_id": inbound.message_id or "", **(details or {})},
        customer_id=inbound.customer_id,
        order_id=inbound.order_id,
        inbound_id=inbound.id,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    audit.record(
        session,
        AuditEntry(
            "ticket.opened",
            "ticket",
            ticket.id,
            {"kind": TicketKind.SUPPORT.value, "intent": Intent.OTHER.value, "quarantine": True},
        ),
        actor="mailbot",
        now=now,
        message_ref=inbound.message_id,
    )
    session.flush()
    return ticket.id
