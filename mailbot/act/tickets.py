"""Tickets: opening them from messages, and what staff do with them (approve, reject, assign, close).

A ``support`` ticket asks a person to answer; a ``request`` holds a staged change
(``details["change"]``; ``details["changes"]`` for a message of several requests; see
``act.changes``) that is applied only when staff approve it. Every step
is audited with the staff actor. Errors name the ticket: not found, not open, change no longer
applicable (the transaction is then rolled back by the caller and the ticket stays open).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot import audit
from mailbot.act.changes import ChangeNotApplicable, check_changes
from mailbot.act.decide import told_of
from mailbot.act.load import Loader
from mailbot.act.replies import why_not_reply
from mailbot.act.reply import Reply
from mailbot.act.views import Match
from mailbot.act.write import Source, Writer
from mailbot.app import App
from mailbot.db.models import InboundMessage, Order, Ticket
from mailbot.domain import AuditEntry, InboundStatus, ReplyOutcome, TicketKind, TicketStatus
from mailbot.errors import InputError, NotFoundError
from mailbot.intake.store import load_raw
from mailbot.outbound.context import RequestOutcome
from mailbot.text import visible
from mailbot.understand.reading import Understanding, read_message

log = logging.getLogger(__name__)


class TicketError(InputError):
    """A ticket cannot be acted on as asked; the message names the ticket."""


def get_ticket(session: Session, ticket_id: int, *, lock: bool = False) -> Ticket:
    ticket = session.get(Ticket, ticket_id, with_for_update=lock)
    if ticket is None:
        raise NotFoundError(f"ticket {ticket_id}: not found")
    return ticket


def _open(session: Session, ticket_id: int, action: str) -> Ticket:
    ticket = get_ticket(session, ticket_id, lock=True)
    if ticket.status != TicketStatus.OPEN:
        raise TicketError(f"ticket {ticket.id}: is {ticket.status.value}, not open: it cannot be {action}")
    return ticket


def approve_ticket(session: Session, app: App, ticket_id: int, actor: str, now: datetime) -> Ticket:
    """Apply the staged change of a request and mark it approved, in the caller's transaction; the person
    who wrote is told it is done (unless they must never be answered, see ``replies.why_not_reply``),
    and the customer's addresses on file, before and after the change, get the notice of it.

    The change is checked as the automatic path checks it (``changes.check_change``), against the data
    as it is now, and written by the same writer."""
    ticket = _open(session, ticket_id, "approved")
    if ticket.kind != TicketKind.REQUEST:
        raise TicketError(f"ticket {ticket.id}: a support ticket has no change to approve (close it instead)")
    staged = _staged_changes(ticket)
    loader = Loader(session)
    order_id = next((c.get("order_id") for _intent, c in staged if isinstance(c.get("order_id"), int)), None)
    snapshot = loader.snapshot(Match(None, ticket.customer_id, order_id, None, False))
    try:
        checked = check_changes(staged, snapshot, app.config, now.astimezone(app.config.tz).date())
    except ChangeNotApplicable as exc:
        raise TicketError(f"ticket {ticket.id}: change no longer applicable: {exc}") from None
    ref = _message_ref(session, ticket)
    writer = Writer(session, app, now, loader)
    summaries, order = writer.changes(checked, actor, ref)
    summary = "; ".join(summaries)
    _resolve(ticket, TicketStatus.APPROVED, actor, summary, now)
    _settle_message(session, ticket, now)
    notices = told_of(snapshot.customer, checked)
    intents = tuple(intent for intent, _change in staged) if len(staged) > 1 else ()
    done = _confirm(session, writer, ticket, order, notices, intents)
    writer.finish()
    unsent = [note for note in done if note.startswith("no reply")]
    if unsent:  # said where staff look: the ticket's resolution (``tickets show``, ``approve``) and the log
        ticket.resolution = f"{summary}; confirmation not sent: {'; '.join(unsent)}"
        log.warning("ticket %s: approved, confirmation not sent: %s", ticket.id, visible("; ".join(unsent)))
    _audit(session, ticket, actor, "ticket.approved", now, {"applied": summary, "confirmation": done})
    return ticket


def _staged_changes(ticket: Ticket) -> list[tuple[str, dict[str, Any]]]:
    """The changes a request holds, ``(intent, change)`` in the order to apply them: ``details["changes"]``
    for a message of several requests, else its one ``details["change"]``."""
    several = ticket.details.get("changes")
    if isinstance(several, list) and several:
        staged = [(str(item.get("intent")), item.get("change")) for item in several if isinstance(item, dict)]
        if len(staged) == len(several) and all(isinstance(change, dict) for _intent, change in staged):
            return [(intent, change) for intent, change in staged if isinstance(change, dict)]
        raise TicketError(f"ticket {ticket.id}: its staged changes are not readable")
    change = ticket.details.get("change")
    if not isinstance(change, dict):
        raise TicketError(f"ticket {ticket.id}: no staged change to apply")
    return [(ticket.intent, change)]


def _confirm(
    session: Session,
    writer: Writer,
    ticket: Ticket,
    order: Order | None,
    notices: Sequence[str],
    intents: Sequence[str] = (),
) -> list[str]:
    """The reply telling the person who wrote that staff approved their request and it is done (the
    reply of the intent with the outcome "applied", threaded under their message, once per ticket), and
    the notices to the addresses on file. The message is read again from its stored (redacted) copy;
    the fields are those understood when it arrived. Returns the notes, complete once the writer finished."""
    inbound = session.get(InboundMessage, ticket.inbound_id) if ticket.inbound_id is not None else None
    if inbound is None:
        return ["no message to answer"]
    reading = read_message(load_raw(inbound), redacted=True)
    stored = inbound.understanding or {}
    u = Understanding(
        reading=replace(reading, card_number_detected=inbound.card_number_detected or reading.card_number_detected),
        intent=ticket.intent,
        rule=stored.get("rule"),
        confidence=float(stored.get("confidence") or 0.0),
        fields=dict(stored.get("fields") or {}),
        invalid=(),
        needs_review=False,
        review_reasons=(),
        trace=(),
    )
    app, now, loader = writer.app, writer.now, writer.loader
    reply = Reply(
        config=app.config,
        understanding=u,
        customer=loader.customer(ticket.customer_id),
        now=now,
        outcome=ReplyOutcome.APPLIED,
        card_number_stored=bool(inbound.card_number_detected),
        order=order,
        parts=tuple(RequestOutcome(intent, ReplyOutcome.APPLIED) for intent in intents),
    )
    source = Source(inbound.id, inbound.message_id, inbound.sender, inbound.received_at)
    no_reply = why_not_reply(app.config, u) or ""
    return writer.staff_reply(source, reply, no_reply, ticket.id, notices if reply.customer is not None else ()).notes


def reject_ticket(session: Session, ticket_id: int, actor: str, reason: str, now: datetime) -> Ticket:
    if not reason.strip():
        raise TicketError(f"ticket {ticket_id}: a rejection needs a reason")
    ticket = _open(session, ticket_id, "rejected")
    _resolve(ticket, TicketStatus.REJECTED, actor, reason, now)
    _settle_message(session, ticket, now)
    _audit(session, ticket, actor, "ticket.rejected", now, {"reason": reason})
    return ticket


def close_ticket(session: Session, ticket_id: int, actor: str, now: datetime, note: str = "") -> Ticket:
    ticket = _open(session, ticket_id, "closed")
    _resolve(ticket, TicketStatus.CLOSED, actor, note or "closed", now)
    _settle_message(session, ticket, now)
    _audit(session, ticket, actor, "ticket.closed", now, {"note": note})
    return ticket


def assign_ticket(session: Session, ticket_id: int, assignee: str, actor: str, now: datetime) -> Ticket:
    if not assignee.strip():
        raise TicketError(f"ticket {ticket_id}: give the name of the person to assign it to")
    ticket = _open(session, ticket_id, "assigned")
    before = ticket.assignee
    ticket.assignee = assignee.strip()
    ticket.updated_at = now
    session.flush()
    _audit(
        session,
        ticket,
        actor,
        "ticket.assigned",
        now,
        {"assignee": ticket.assignee, "before": before},
    )
    return ticket


def _resolve(ticket: Ticket, status: TicketStatus, actor: str, resolution: str, now: datetime) -> None:
    ticket.status = status
    ticket.resolved_by = actor
    ticket.resolved_at = now
    ticket.resolution = resolution
    ticket.updated_at = now


def _settle_message(session: Session, ticket: Ticket, now: datetime) -> None:
    """A message waiting for a person (REVIEW) is PROCESSED once none of its tickets is open any more.
    A quarantined message stays quarantined: closing its ticket does not mean it was processed."""
    if ticket.inbound_id is None:
        return
    session.flush()
    inbound = session.get(InboundMessage, ticket.inbound_id)
    if inbound is None or inbound.status != InboundStatus.REVIEW:
        return
    still_open = session.scalar(
        select(func.count(Ticket.id)).where(Ticket.inbound_id == inbound.id, Ticket.status == TicketStatus.OPEN)
    )
    if not still_open:
        inbound.status = InboundStatus.PROCESSED
        inbound.processed_at = now


def _message_ref(session: Session, ticket: Ticket) -> str | None:
    if ticket.inbound_id is None:
        return None
    inbound = session.get(InboundMessage, ticket.inbound_id)
    return inbound.message_id if inbound is not None else None


def _audit(session: Session, ticket: Ticket, actor: str, action: str, now: datetime, details: dict[str, Any]) -> None:
    """Audit what staff did with ``ticket``, with its message's reference."""
    audit.record(
        session,
        AuditEntry(action, "ticket", ticket.id, details),
        actor=actor,
        now=now,
        message_ref=_message_ref(session, ticket),
    )
    session.flush()
