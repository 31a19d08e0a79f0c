"""Opening a ticket: the one way a ticket is inserted and audited, for the actions and for quarantine.

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
from mailbot.domain import TicketKind, TicketStatus


def open_ticket(
    session: Session,
    *,
    kind: TicketKind,
    intent: str,
    summary: str,
    details: dict[str, Any],
    now: datetime,
    customer_id: int | None = None,
    order_id: int | None = None,
    inbound: InboundMessage | None = None,
    actor: str = "mailbot",
    audited: Mapping[str, Any] | None = None,
) -> int:
    """Insert an open ticket and audit it (``ticket.opened``, with the message's reference and
    ``audited`` beside the kind and intent); returns its number. For a message that could not be
    processed; the tickets of messages acted on are written by ``write.Writer``."""
    values: dict[str, Any] = {
        "kind": kind,
        "status": TicketStatus.OPEN,
        "intent": intent,
        "summary": summary,
        "details": details,
        "customer_id": customer_id,
        "order_id": order_id,
        "inbound_id": inbound.id if inbound is not None else None,
        "created_at": now,
        "updated_at": now,
    }
    ticket = Ticket(**values)
    session.add(ticket)
    session.flush()
    number = ticket.id
    audit.record(
        session,
        actor=actor,
        action="ticket.opened",
        entity="ticket",
        entity_id=number,
        now=now,
        details={"kind": kind.value, "intent": intent, **(audited or {})},
        message_ref=inbound.message_id if inbound is not None else None,
    )
    session.flush()
    return number


def open_quarantine_ticket(
    session: Session, inbound: InboundMessage, summary: str, now: datetime, details: Mapping[str, Any] | None = None
) -> int:
    """A support ticket so staff see a message that could not be processed (its error and Message-ID,
    and ``details``); audited with ``quarantine: true``. Returns its number."""
    return open_ticket(
        session,
        kind=TicketKind.SUPPORT,
        intent="other",
        summary=summary,
        details={"error": inbound.error or "", "message_id": inbound.message_id or "", **(details or {})},
        now=now,
        customer_id=inbound.customer_id,
        order_id=inbound.order_id,
        inbound=inbound,
        audited={"quarantine": True},
    )
