"""The one writer: it carries out plans, for one message (``ingest``) or a whole batch, with the same code.

``Writer.apply`` does at once what later decisions of the same transaction must see: a change (an
order's billing details, a new order with its payment instructions, a payment announced, billing
data, automatic renewal, a cancellation) and a bounce's effects, on the loaded objects. Everything
else is kept as values and written by ``finish`` with a few statements for the whole batch, in
this order:

1. each reply's fate, in the messages' order: already in the outbox (one look-up of all the keys),
   over the daily cap (``reply_cap``: one statement per reply, in the database, so two processes
   never pass it together), else it goes; a plan that needs its reply (``Plan.unanswered``) turns into
   its other plan when it cannot go;
2. the tickets, with one INSERT that returns their numbers;
3. the replies and the notices of changes, rendered with those numbers, with one INSERT;
4. the audit events, the attachments, and the messages' own rows (one UPDATE for all).

Nothing here decides: what to write is the plan's. ``finish`` returns, per message, what was done
(``Done``: the status, the tickets, the emails and the notes stored on the message).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from mailbot.act.load import Loader, account_facts
from mailbot.act.plan import (
    ACTOR,
    AnnouncePayment,
    CancelServices,
    Change,
    CreateOrder,
    FailEmail,
    MarkUndeliverable,
    NewTicket,
    Plan,
    ReplyPlan,
    SetAutorenew,
    SetCustomerFields,
    SetOrderFields,
)
from mailbot.act.replies import company_info, reply_language, reply_subject, reply_to_address, thread_details
from mailbot.act.reply import NOTICE_TEMPLATE, Reply, is_to_holder, notice_context, reply_context, template_for
from mailbot.act.reply_cap import take_reply_allowance
from mailbot.app import App
from mailbot.db.models import AuditEvent, InboundAttachment, InboundMessage, Order, OutboundMessage, Ticket
from mailbot.domain import AuditEntry, InboundStatus, OrderStatus, OutboundStatus, ServiceStatus, TicketStatus
from mailbot.orders import NewOrder, create_order
from mailbot.outbound.account_status import account_status
from mailbot.outbound.context import STATUS_TEMPLATE, AccountStatusContext, ChangeNoticeContext, ReplyContext
from mailbot.outbound.outbox import NewMessage, enqueue_many
from mailbot.outbound.undeliverable import Failure, mark_undeliverable
from mailbot.understand.addresses import is_own_address, own_addresses
from mailbot.understand.mime import Attachment
from mailbot.understand.reading import Understanding

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """The message a plan acts for (None for a staff action with no message)."""

    inbound_id: int
    message_id: str | None
    sender: str | None
    received_at: datetime | None
    card_number_stored: bool = False  # the row says a card number came (found when it was stored)


@dataclass
class Done:
    """What acting on one message did; stored on the message under ``understanding["actions"]``."""

    status: InboundStatus
    ticket_ids: list[int] = field(default_factory=list)
    replies: int = 0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "ticket_ids": list(self.ticket_ids),
            "replies": int(self.replies),
            "notes": [str(n) for n in self.notes],
        }


@dataclass
class _Email:
    """A reply or a notice waiting for ``finish``."""

    key: str
    template: str
    address: str
    context: ReplyContext | ChangeNoticeContext | AccountStatusContext
    reason: str
    customer_id: int | None
    order_id: int | None
    details: dict[str, Any]
    reply: bool  # a reply to the person who wrote, else a notice
    audit: AuditEntry
    capped: bool = True  # an automatic reply, under the daily cap (a staff confirmation is not)
    skip_if_reached: str = ""  # a notice: not sent if the reply went to this address on file


@dataclass
class _Pending:
    """One message (or staff action) being written: what ``finish`` still has to write for it."""

    source: Source | None
    plan: Plan
    done: Done
    emails: list[_Email] = field(default_factory=list)
    ticket: NewTicket | None = None
    ticket_ref: int | None = None  # the number, for a ticket staff act on
    row: dict[str, Any] | None = None  # the message's own row, as processing leaves it
    fallback: Plan | None = None  # ``Plan.unanswered``


class Writer:
    """Writes the plans of one transaction (see the module's docstring); ``finish`` once, at its end."""

    def __init__(self, session: Session, app: App, now: datetime, loader: Loader | None = None) -> None:
        self.session = session
        self.app = app
        self.config = app.config
        self.now = now
        self.loader = loader or Loader(session)
        self._pending: list[_Pending] = []
        self._audit: list[dict[str, Any]] = []
        self._attachments: list[dict[str, Any]] = []

    # Applying now --------------------------------------------------------------------------------

    def apply(
        self,
        source: Source,
        understanding: Understanding,
        plan: Plan,
        *,
        customer_id: int | None,
        row: dict[str, Any],
    ) -> Done:
        """Carry out ``plan`` for the message ``source`` (its attachments stored too); ``row``: the
        columns processing sets on it. The returned ``Done`` is complete once ``finish`` has run."""
        card_number_stored = source.card_number_stored
        done = Done(plan.status, notes=[])
        pending = _Pending(source, plan, done, row=row)
        self._pending.append(pending)
        self.attachments(source.inbound_id, understanding.reading.message.attachments)
        ref = source.message_id
        order: Order | None = None
        for effect in plan.bounce:
            done.notes.extend(self._bounce(effect, ref))
        summaries, order = self.changes(plan.changes, ACTOR, ref)
        done.notes.extend(summaries)
        done.notes.extend(plan.notes)
        customer = self.loader.customer(customer_id)
        reply = self._reply_inputs(understanding, plan.reply, customer, order, card_number_stored)
        pending.ticket = plan.ticket
        if plan.no_reply:
            pending.done.notes.append(f"no reply: {plan.no_reply}")
        elif reply is not None and plan.reply is not None:
            if plan.reply.account_status:
                self._queue_status(pending, reply)
            else:
                self._queue_reply(pending, reply, plan.reply.key)
            pending.fallback = plan.unanswered
        if plan.notices and reply is not None:
            self._queue_notices(pending, reply, plan.notices, f"notice:{source.inbound_id}")
        return done

    def changes(self, changes: Sequence[Change], actor: str, ref: str | None) -> tuple[list[str], Order | None]:
        """Apply a message's checked changes in their order (a renewal's order before the PA's codes that
        go on it); (what each did, for people; the first order changed or made)."""
        summaries: list[str] = []
        first: Order | None = None
        made: Order | None = None
        for change in changes:
            summary, order = self.change(change, actor, ref, made)
            summaries.append(summary)
            if isinstance(change.effect, CreateOrder):
                made = order
            first = first or order
        return summaries, first

    def change(
        self, change: Change, actor: str, ref: str | None, made: Order | None = None
    ) -> tuple[str, Order | None]:
        """Apply a checked change to the loaded objects; (what was done, for people; the order changed or
        made). ``made``: the order a renewal of the same message made before, which an effect naming no
        order is about."""
        effect, now = change.effect, self.now
        order: Order | None = None
        audit = change.audit
        if isinstance(effect, SetOrderFields | AnnouncePayment):
            order = self.loader.order(effect.order_id) if effect.order_id is not None else made
            assert order is not None
            if effect.order_id is None:  # its audit names the order now that it has a number
                audit = tuple(
                    replace(entry, entity_id=order.number, details={**entry.details, "order_id": order.id})
                    for entry in audit
                )
            if isinstance(effect, SetOrderFields):
                for column, value in effect.values.items():
                    setattr(order, column, value)
            else:
                order.status = OrderStatus.PAYMENT_ANNOUNCED
            order.updated_at = now
        elif isinstance(effect, CreateOrder):
            customer = self.loader.customer(effect.customer_id)
            assert customer is not None
            order = create_order(
                self.session,
                self.app,
                NewOrder(customer, self.loader.services(effect.service_ids), effect.years, effect.method),
                now=now,
                actor=actor,
            )
            self.loader.order_created(order)
            self.audit(
                AuditEntry("order.requested_by_email", "order", order.number, {"order_id": order.id}), actor, ref
            )
        elif isinstance(effect, SetCustomerFields):
            customer = self.loader.customer(effect.customer_id)
            assert customer is not None
            for column, value in effect.values.items():
                setattr(customer, column, value)
            customer.updated_at = now
            self.session.flush()  # matching reads a customer's addresses with a query
        else:
            for service in self.loader.services(effect.service_ids):
                if isinstance(effect, SetAutorenew):
                    service.autorenew = effect.on
                elif isinstance(effect, CancelServices):
                    service.status = ServiceStatus.CANCELLED
                    service.autorenew = False
                service.updated_at = now
        for entry in audit:
            self.audit(entry, actor, ref)
        if isinstance(effect, CreateOrder) and order is not None:
            return f"order {order.number} created ({order.years} year(s), {order.payment_method.value})", order
        if isinstance(effect, SetOrderFields | AnnouncePayment) and effect.order_id is None and order is not None:
            return change.summary.replace("the new order", f"order {order.number}", 1), order
        return change.summary, order

    def _bounce(self, effect: FailEmail | MarkUndeliverable, ref: str | None) -> list[str]:
        if isinstance(effect, FailEmail):
            row = self.loader.emails.get(effect.outbound_id) or self.session.get(OutboundMessage, effect.outbound_id)
            if row is not None and row.status == OutboundStatus.SENT:
                row.status, row.last_error = OutboundStatus.FAILED, effect.reason
            return []
        failure = Failure(effect.customer_id, effect.address, effect.reason, ref, dict(effect.details))
        changed = mark_undeliverable(self.session, failure, now=self.now, actor=ACTOR)
        note = "address marked undeliverable" if changed else "address already undeliverable or changed since"
        return [f"{effect.lead}: {note}"]

    def audit(self, entry: AuditEntry, actor: str, ref: str | None) -> None:
        self._audit.append(
            {
                "at": self.now,
                "actor": actor,
                "action": entry.action,
                "entity": entry.entity,
                "entity_id": str(entry.entity_id),
                "details": dict(entry.details),
                "message_ref": ref,
            }
        )

    def attachments(self, inbound_id: int, attachments: Sequence[Attachment]) -> None:
        """One row per attachment of the message, under its safe name, with its size and SHA-256; the
        data itself only up to ``inbound.max_attachment_bytes``."""
        limit = self.config.inbound.max_attachment_bytes
        for attachment in attachments:
            data = attachment.data
            self._attachments.append(
                {
                    "inbound_id": inbound_id,
                    "filename": attachment.filename[:200],
                    "content_type": attachment.content_type[:200],
                    "size": attachment.size,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "data": data if len(data) <= limit else None,
                }
            )

    # Emails --------------------------------------------------------------------------------------

    def _reply_inputs(
        self,
        understanding: Understanding,
        planned: ReplyPlan | None,
        customer: Any,
        order: Order | None,
        card_number_stored: bool,
    ) -> Reply | None:
        if planned is None:
            return None
        if not (planned.order_of_change and order is not None):
            order = self.loader.order(planned.order_id)
        return Reply(
            config=self.config,
            understanding=understanding,
            customer=customer,
            now=self.now,
            outcome=planned.outcome,
            card_number_stored=card_number_stored,
            order=order,
            services=self.loader.services(planned.service_ids),
            years_asked=planned.years_asked,
            method_asked=planned.method_asked,
            staged_values=dict(planned.staged_values),
            parts=planned.parts,
        )

    def _queue_reply(self, pending: _Pending, r: Reply, key: str | None, *, capped: bool = True) -> None:
        """The reply to the person who wrote, as it will be rendered once its ticket has a number;
        ``capped``: an automatic reply, counted under the daily cap (a staff confirmation is not)."""
        u = r.understanding
        source = pending.source
        assert source is not None
        template = template_for(u.intent)
        context = reply_context(r)
        pending.emails.append(
            _Email(
                key=key or f"reply:{source.inbound_id}:{template}",
                template=template,
                address=reply_to_address(u),
                context=context,
                reason=f"automatic reply to inbound message {source.inbound_id} ({u.intent})",
                customer_id=r.customer.id if r.customer is not None else None,
                order_id=r.order.id if r.order is not None and context.order is not None else None,
                details=thread_details(u) | {"inbound_id": source.inbound_id, "intent": u.intent},
                reply=True,
                capped=capped,
                audit=AuditEntry(
                    "inbound.replied",
                    "inbound",
                    str(source.inbound_id),
                    {"template": template, "outcome": r.outcome.value},
                ),
            )
        )

    def _queue_status(self, pending: _Pending, r: Reply) -> None:
        """The account's status (``account_status``) to the holder who asked for it, as this transaction
        sees the account: an automatic reply, under the daily cap. ``decide`` sends it only to an address
        on file; checked again here, where the account is shown."""
        u, customer, source = r.understanding, r.customer, pending.source
        assert source is not None and customer is not None and is_to_holder(r)
        address = reply_to_address(u)
        lang = reply_language(customer, u)
        context = account_status(
            account_facts(self.session, customer),
            today=self.now.astimezone(self.config.tz).date(),
            tz=self.config.tz,
            lang=lang,
            company=company_info(self.config),
            storage=self.config.storage,
            subject=reply_subject(u.reading.message.subject, lang),
            to_address=address,
        )
        pending.emails.append(
            _Email(
                key=f"reply:{source.inbound_id}:{STATUS_TEMPLATE}",
                template=STATUS_TEMPLATE,
                address=address,
                context=context,
                reason=f"automatic reply to inbound message {source.inbound_id} ({u.intent})",
                customer_id=customer.id,
                order_id=None,
                details=thread_details(u) | {"inbound_id": source.inbound_id, "intent": u.intent},
                reply=True,
                audit=AuditEntry(
                    "inbound.replied",
                    "inbound",
                    str(source.inbound_id),
                    {"template": STATUS_TEMPLATE, "outcome": r.outcome.value},
                ),
            )
        )

    def _queue_notices(self, pending: _Pending, r: Reply, addresses: Sequence[str], key: str) -> None:
        """The ``account_change`` notice to each address on file (but our own), unless the reply reaches it."""
        source = pending.source
        assert source is not None and r.customer is not None
        reached = reply_to_address(r.understanding).lower() if is_to_holder(r) else ""
        own = own_addresses(self.config)
        requested_by = r.understanding.reading.message.from_address or source.sender or "-"
        for address in addresses:
            if is_own_address(address, own):
                pending.done.notes.append(f"notice to {address}: not sent (our own address, or already enqueued)")
                continue
            context = notice_context(r, address, requested_by, source.received_at or self.now)
            pending.emails.append(
                _Email(
                    key=f"{key}:{address}",
                    template=NOTICE_TEMPLATE,
                    address=address,
                    context=context,
                    reason=(
                        f"change to customer {r.customer.id}'s account ({r.understanding.intent}) asked by "
                        f"inbound message {source.inbound_id}"
                    ),
                    customer_id=r.customer.id,
                    order_id=r.order.id if r.order is not None else None,
                    details={"inbound_id": source.inbound_id, "intent": r.understanding.intent, "ticket_id": None},
                    reply=False,
                    audit=AuditEntry(
                        "customer.change_notified",
                        "customer",
                        str(r.customer.id),
                        {"intent": r.understanding.intent, "to": address},
                    ),
                    skip_if_reached=reached if address == reached else "",
                )
            )

    # Staff ----------------------------------------------------------------------------------------

    def staff_reply(
        self, source: Source, r: Reply | None, no_reply: str, ticket_id: int, notices: Sequence[str]
    ) -> Done:
        """The reply (``r``, or ``no_reply`` saying why there is none) and the notices of a request staff
        approved (``tickets.approve_ticket``); complete once ``finish`` has run."""
        done = Done(InboundStatus.PROCESSED)
        pending = _Pending(source, Plan(InboundStatus.PROCESSED), done, ticket_ref=ticket_id)
        self._pending.append(pending)
        if r is None:
            done.notes.append(f"no reply: {no_reply}")
            return done
        r = replace(r, ticket_id=ticket_id)
        if not no_reply:
            self._queue_reply(pending, r, f"approved:{ticket_id}", capped=False)
        else:
            done.notes.append(f"no reply: {no_reply}")
        if notices:
            self._queue_notices(pending, r, notices, f"notice:approved:{ticket_id}")
        for email in pending.emails:
            if not email.reply:
                email.details["ticket_id"] = ticket_id
        return done

    # Writing -------------------------------------------------------------------------------------

    def finish(self) -> None:
        """Write what the plans left for the end (see the module's docstring)."""
        session, pending = self.session, self._pending
        self._pending = []
        keys = [e.key for p in pending for e in p.emails]
        there = (
            set(
                session.scalars(
                    select(OutboundMessage.idempotency_key).where(OutboundMessage.idempotency_key.in_(keys))
                )
            )
            if keys
            else set()
        )
        going: list[tuple[_Pending, _Email]] = []
        for p in pending:
            self._choose_emails(p, there, going)
        # Tickets, numbered by the INSERT.
        tickets = [p for p in pending if p.ticket is not None]
        if tickets:
            values = [self._ticket_values(p) for p in tickets]
            # Paired by message (one ticket each), not by the order of RETURNING: asking for that order
            # makes SQLite insert one row per statement.
            numbered = insert(Ticket).returning(Ticket.inbound_id, Ticket.id).execution_options(render_nulls=True)
            by_message = {inbound_id: number for inbound_id, number in session.execute(numbered, values)}
            numbers = [by_message[v["inbound_id"]] for v in values]
            for p, number in zip(tickets, numbers, strict=True):
                p.ticket_ref = number
                ticket = p.ticket
                assert ticket is not None
                p.done.ticket_ids.append(number)
                lead = f"support ticket {number}" if ticket.reason == "" else f"request {number}: {ticket.reason}"
                p.done.notes.insert(0, lead)
                self.audit(
                    AuditEntry(
                        "ticket.opened", "ticket", str(number), {"kind": ticket.kind.value, "intent": ticket.intent}
                    ),
                    ACTOR,
                    _ref(p),
                )
        # Emails, rendered with the tickets' numbers.
        if going:
            messages = []
            for p, email in going:
                context = email.context
                if not isinstance(context, AccountStatusContext) and (email.reply or p.ticket_ref):
                    context = replace(context, ticket_id=p.ticket_ref)
                rendered = self.app.renderer.render(email.template, context.lang, context)
                messages.append(
                    (
                        NewMessage(
                            idempotency_key=email.key,
                            template=email.template,
                            language=context.lang,
                            to_address=email.address,
                            rendered=rendered,
                            reason=email.reason,
                            customer_id=email.customer_id,
                            order_id=email.order_id,
                            details=email.details,
                        ),
                        (),
                    )
                )
            ids = enqueue_many(session, messages, mail=self.config.mail, now=self.now)
            for (p, email), row_id in zip(going, ids, strict=True):
                if row_id is None:
                    p.done.notes.append(f"{email.template} to {email.address}: already enqueued")
                    continue
                p.done.replies += 1
                p.done.notes.append(
                    f"reply {email.template} enqueued (outbound {row_id})"
                    if email.reply
                    else f"notice of the change enqueued to {email.address} (outbound {row_id})"
                )
                entry = email.audit
                self.audit(
                    replace(entry, details={**entry.details, "outbound_id": row_id}),
                    ACTOR,
                    _ref(p),
                )
        if self._audit:
            session.execute(insert(AuditEvent).execution_options(render_nulls=True), self._audit)
            self._audit = []
        if self._attachments:
            session.execute(insert(InboundAttachment).execution_options(render_nulls=True), self._attachments)
            self._attachments = []
        rows = [_row(p.row, p.done) for p in pending if p.row is not None]
        if rows:
            session.execute(update(InboundMessage), rows)

    def _choose_emails(self, p: _Pending, there: set[str], going: list[tuple[_Pending, _Email]]) -> None:
        """Which of ``p``'s emails go: not those in the outbox already, nor replies over the daily cap."""
        reached = False
        for email in p.emails:
            if email.key in there:
                why = (
                    f"reply {email.template} was already enqueued"
                    if email.reply
                    else f"notice to {email.address}: not sent (our own address, or already enqueued)"
                )
            elif email.reply and email.capped:
                capped = take_reply_allowance(self.session, self.config, email.address, self.now)
                why = f"no reply: {capped}" if capped else ""
            else:
                why = ""
            if why:
                p.done.notes.append(why)
                if email.reply and p.fallback is not None:
                    self._fall_back(p, why)
                    return
                continue
            if email.skip_if_reached and reached:
                continue
            reached = reached or email.reply
            going.append((p, email))
            there.add(email.key)

    def _fall_back(self, p: _Pending, why: str) -> None:
        """The reply a plan needed cannot go: its other plan (a support ticket) instead, saying why."""
        assert p.fallback is not None
        plan = p.fallback
        ticket = plan.ticket
        if ticket is not None:
            note = f"{ticket.details.get('note', '')}{why}"
            ticket = replace(ticket, summary=f"{ticket.summary}{why}"[:2000], details={**ticket.details, "note": note})
        p.ticket = ticket
        p.done.status = plan.status
        p.done.notes = [n for n in p.done.notes if n not in p.plan.notes]
        p.emails = []

    def _ticket_values(self, p: _Pending) -> dict[str, Any]:
        t = p.ticket
        assert t is not None
        return {
            "kind": t.kind,
            "status": TicketStatus.OPEN,
            "intent": t.intent,
            "summary": t.summary,
            "details": dict(t.details),
            "customer_id": t.customer_id,
            "order_id": t.order_id,
            "inbound_id": p.source.inbound_id if p.source else None,
            "created_at": self.now,
            "updated_at": self.now,
        }


def _ref(p: _Pending) -> str | None:
    return p.source.message_id if p.source is not None else None


def _row(row: dict[str, Any], done: Done) -> dict[str, Any]:
    """The message's row as processing leaves it: what was understood, what was done, the status."""
    return row | {"understanding": {**row["understanding"], "actions": done.to_json()}, "status": done.status}
