"""The automatic reply to a person's message: which template, what it says, and enqueueing it once.

``send_reply`` asks ``replies.why_not_reply`` first (never to machines, our own addresses, or past the
daily cap), then renders the template of the intent with a ``ReplyContext`` and enqueues it under the
key ``reply:<inbound id>:<template>``, so processing a message twice answers it once.

Privacy: order and service details are shown only when the From address is the customer's own email
or PEC; anyone else writing with a reply token or an order number only gets back what they sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.orm import Session

from mailbot import audit
from mailbot.app import App
from mailbot.db.models import Customer, CustomerKind, InboundMessage, Order, Service, Ticket
from mailbot.inbound.batch import Batch
from mailbot.inbound.matching import is_customer_address
from mailbot.inbound.replies import (
    company_info,
    customer_info,
    enqueue_reply,
    reply_language,
    reply_subject,
    reply_to_address,
    why_not_reply,
)
from mailbot.inbound.store import load_raw
from mailbot.inbound.understand import Understanding, read_message
from mailbot.outbound.context import ReplyContext, ReplyField, ReplyInvalid
from mailbot.outbound.order_mail import order_info, service_info

TEMPLATES = {"pa_billing_details": "reply_pa_details", "renewal_request": "reply_renewal",
             "card_change": "reply_card_change"}  # fmt: skip
DEFAULT_TEMPLATE = "reply_received"
PA_FIELDS = ("cig", "office_code", "username")
# Order column -> the PA field it holds.
_PA_COLUMNS = {"cig": "cig", "office_code": "office_code", "pa_username": "username"}


@dataclass(frozen=True)
class Reply:
    session: Session
    app: App
    inbound: InboundMessage
    u: Understanding
    customer: Customer | None
    now: datetime
    outcome: str  # applied | staff | ticket | none
    ticket_id: int | None = None
    order: Order | None = None
    services: Sequence[Service] = ()
    years_asked: int | None = None
    staged_values: Mapping[str, str] = field(default_factory=dict)  # order column -> value, held for staff
    key: str | None = None  # the outbox idempotency key; default reply:<inbound id>:<template>
    # Acting on a batch in one flush: its replies per address count toward the cap, and the reply is
    # staged under an outbox id taken there, not flushed (``replies.why_not_reply``, ``enqueue_reply``).
    batch: Batch | None = None


def template_for(intent: str) -> str:
    return TEMPLATES.get(intent, DEFAULT_TEMPLATE)


def send_reply(r: Reply) -> tuple[int, list[str]]:
    """Enqueue the reply unless it must not go; (replies enqueued, notes for people)."""
    counts = r.batch.replies if r.batch is not None else None
    reason = why_not_reply(r.session, r.app.config, r.u, r.now, counts)
    if reason:
        return 0, [f"no reply: {reason}"]
    template = template_for(r.u.intent)
    context = reply_context(r, template)
    row = enqueue_reply(
        r.session, r.app, r.inbound, r.u, template, context,
        customer_id=r.customer.id if r.customer is not None else None,
        order_id=r.order.id if r.order is not None and context.order is not None else None, now=r.now,
        key=r.key, ids=r.batch.outbound if r.batch is not None else None,
    )  # fmt: skip
    if row is None:
        return 0, [f"reply {template} was already enqueued"]
    if counts is not None:
        counts.add(row.to_address)
    audit.record(r.session, actor="mailbot", action="inbound.replied", entity="inbound", entity_id=r.inbound.id,
                 now=r.now, details={"outbound_id": row.id, "template": template, "outcome": r.outcome},
                 message_ref=r.inbound.message_id)  # fmt: skip
    return 1, [f"reply {template} enqueued (outbound {row.id})"]


def confirm_approval(
    session: Session, app: App, ticket: Ticket, order: Order | None, now: datetime
) -> tuple[int, list[str]]:
    """Tell the person who wrote that staff approved their request and it is done: the reply of the
    intent with the outcome "applied", threaded under their message, once per ticket. The message is
    read again from its stored (redacted) copy; the fields are those understood when it arrived."""
    inbound = session.get(InboundMessage, ticket.inbound_id) if ticket.inbound_id is not None else None
    if inbound is None:
        return 0, ["no message to answer"]
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
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id is not None else None
    return send_reply(Reply(session, app, inbound, u, customer, now, "applied", ticket.id, order,
                            key=f"approved:{ticket.id}"))  # fmt: skip


def is_own_sender(r: Reply) -> bool:
    """The From address is the matched customer's own email or PEC."""
    c = r.customer
    return c is not None and is_customer_address(r.u.reading.message.from_address, c.email, c.pec)


def reply_context(r: Reply, template: str) -> ReplyContext:
    config = r.app.config
    lang = reply_language(r.customer, r.u)
    own = is_own_sender(r)
    info = replace(customer_info(r.customer if own else None, r.u, lang), email=reply_to_address(r.u))
    understood = tuple(
        ReplyField(name, str(value))
        for name, found in r.u.fields.items()
        for value in (found if isinstance(found, list | tuple) else [found])
    )
    return ReplyContext(
        lang=lang,
        today=r.now.astimezone(config.tz).date(),
        customer=info,
        company=company_info(config),
        subject=reply_subject(r.u.reading.message.subject, lang),
        intent=r.u.intent,
        outcome=r.outcome,
        ticket_id=r.ticket_id,
        order=order_info(r.order, config) if own and r.order is not None else None,
        understood=understood,
        invalid=tuple(ReplyInvalid(v.field, v.value, v.reason) for v in r.u.invalid),
        pa_missing=pa_missing(r) if template == "reply_pa_details" else (),
        card_number_detected=card_found(r),
        card_number_removed=card_found(r) and not r.u.reading.card_number_kept,
        years_asked=r.years_asked,
        services=tuple(service_info(s) for s in r.services) if own else (),
    )


def card_found(r: Reply) -> bool:
    """A card number came in the message (found when it was stored, or in the copy read now)."""
    return r.u.reading.card_number_detected or r.inbound.card_number_detected


def pa_missing(r: Reply) -> tuple[str, ...]:
    """What the invoice still needs: neither on the order, nor in this message, nor held for staff."""
    c = r.customer
    if c is not None and not (c.kind == CustomerKind.PUBLIC_ADMINISTRATION or c.split_payment):
        return ()
    have = {name for name in PA_FIELDS if r.u.fields.get(name)}
    have |= {_PA_COLUMNS[col] for col, value in r.staged_values.items() if col in _PA_COLUMNS and value}
    if r.order is not None:
        have |= {_PA_COLUMNS[col] for col in _PA_COLUMNS if getattr(r.order, col)}
    return tuple(name for name in PA_FIELDS if name not in have)
