"""The automatic reply to a person's message: which template, what it says, and enqueueing it once.

``send_reply`` asks ``replies.why_not_reply`` first (never to machines or our own addresses), renders the
template of the intent with a ``ReplyContext``, takes the daily cap (``reply_cap``) and enqueues the reply
under the key ``reply:<inbound id>:<template>`` in one transaction, so processing a message twice answers
it once and two jobs at once never pass the cap.

Privacy: a reply shows the account (the customer's name and language, order and service details, what
the order still lacks) only when it goes to the customer's email or PEC on file. Any other recipient
(a stranger, or a Reply-To that is not on file, whatever the From says) gets a neutral answer: in the
language of their message, with the values they sent, and the same words whether or not their message
was matched to an account or waits for staff. Confirmations of a change go to the addresses on file
(``notices``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.orm import Session

from mailbot import audit
from mailbot.act.batch import Batch
from mailbot.act.matching import is_customer_address
from mailbot.act.replies import (
    company_info,
    customer_info,
    enqueue_reply,
    reply_language,
    reply_subject,
    reply_to_address,
    why_not_reply,
)
from mailbot.act.reply_cap import give_back_reply_allowance, take_reply_allowance
from mailbot.app import App
from mailbot.db.models import Customer, InboundMessage, Order, Service, Ticket
from mailbot.domain import CustomerKind
from mailbot.intake.store import load_raw
from mailbot.outbound.context import ReplyContext, ReplyField, ReplyInvalid
from mailbot.outbound.order_mail import order_info, service_info
from mailbot.understand.reading import Understanding, read_message

TEMPLATES = {
    "pa_billing_details": "reply_pa_details",
    "renewal_request": "reply_renewal",
    "card_change": "reply_card_change",
}
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
    # Acting on a batch in one flush: the reply is staged under an outbox id taken there, not flushed
    # (``replies.enqueue_reply``).
    batch: Batch | None = None


def template_for(intent: str) -> str:
    return TEMPLATES.get(intent, DEFAULT_TEMPLATE)


def send_reply(r: Reply) -> tuple[int, list[str]]:
    """Enqueue the reply unless it must not go; (replies enqueued, notes for people)."""
    reason = why_not_reply(r.app.config, r.u)
    if reason:
        return 0, [f"no reply: {reason}"]
    template = template_for(r.u.intent)
    context = reply_context(r, template)
    # The daily cap and the enqueue are one step of this transaction (``reply_cap``).
    address = reply_to_address(r.u)
    capped = take_reply_allowance(r.session, r.app.config, address, r.now)
    if capped:
        return 0, [f"no reply: {capped}"]
    row = enqueue_reply(
        r.session,
        r.app,
        r.inbound,
        r.u,
        template,
        context,
        customer_id=r.customer.id if r.customer is not None else None,
        order_id=r.order.id if r.order is not None and context.order is not None else None,
        now=r.now,
        key=r.key,
        ids=r.batch.outbound if r.batch is not None else None,
    )
    if row is None:
        give_back_reply_allowance(r.session, r.app.config, address, r.now)
        return 0, [f"reply {template} was already enqueued"]
    audit.record(
        r.session,
        actor="mailbot",
        action="inbound.replied",
        entity="inbound",
        entity_id=r.inbound.id,
        now=r.now,
        details={"outbound_id": row.id, "template": template, "outcome": r.outcome},
        message_ref=r.inbound.message_id,
    )
    return 1, [f"reply {template} enqueued (outbound {row.id})"]


def approval_reply(session: Session, app: App, ticket: Ticket, order: Order | None, now: datetime) -> Reply | None:
    """The reply telling the person who wrote that staff approved their request and it is done (the
    reply of the intent with the outcome "applied", threaded under their message, once per ticket);
    None when the ticket has no message. The message is read again from its stored (redacted) copy;
    the fields are those understood when it arrived."""
    inbound = session.get(InboundMessage, ticket.inbound_id) if ticket.inbound_id is not None else None
    if inbound is None:
        return None
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
    return Reply(session, app, inbound, u, customer, now, "applied", ticket.id, order, key=f"approved:{ticket.id}")


def is_to_holder(r: Reply) -> bool:
    """The reply goes to the matched customer's email or PEC on file: it may show the account."""
    c = r.customer
    return c is not None and is_customer_address(reply_to_address(r.u), c.email, c.pec)


def neutral(r: Reply) -> Reply:
    """``r`` as it may be answered to anyone: no account, and "staff" said as any ticket is."""
    outcome = "ticket" if r.outcome == "staff" else r.outcome
    return replace(r, customer=None, order=None, services=(), staged_values={}, years_asked=None, outcome=outcome)


def reply_context(r: Reply, template: str) -> ReplyContext:
    config = r.app.config
    shown = r if is_to_holder(r) else neutral(r)
    lang = reply_language(shown.customer, r.u)
    info = replace(customer_info(shown.customer, r.u, lang), email=reply_to_address(r.u))
    understood = understood_fields(r)
    return ReplyContext(
        lang=lang,
        today=r.now.astimezone(config.tz).date(),
        customer=info,
        company=company_info(config),
        subject=reply_subject(r.u.reading.message.subject, lang),
        intent=r.u.intent,
        outcome=shown.outcome,
        ticket_id=r.ticket_id,
        order=order_info(shown.order, config) if shown.order is not None else None,
        understood=understood,
        invalid=tuple(ReplyInvalid(v.field, v.value, v.reason) for v in r.u.invalid),
        pa_missing=pa_missing(shown) if template == "reply_pa_details" else (),
        card_number_detected=card_found(r),
        card_number_removed=card_found(r) and not r.u.reading.card_number_kept,
        years_asked=shown.years_asked,
        services=tuple(service_info(s) for s in shown.services),
    )


def understood_fields(r: Reply) -> tuple[ReplyField, ...]:
    """The values understood from the message, each as it will be used."""
    return tuple(
        ReplyField(name, str(value))
        for name, found in r.u.fields.items()
        for value in (found if isinstance(found, list | tuple) else [found])
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
