"""Telling the holder of an account that a change asked by email was made: the confirmation of a change
goes to the customer's email and PEC on file, not only to whoever wrote.

``confirm_change`` serves both ways a change is applied: at once for a verified sender
(``actions.change``) and when staff approve a request (``tickets.approve_ticket`` via
``confirm_approval``). The person who wrote gets the reply of the intent (``actions_reply``: it shows
the account only when it goes to an address on file). Every address on file that this reply did not
reach gets the ``account_change`` notice: what was changed, at the request of which From address and
when, and whom to call if it was not them. The addresses on file are taken *before* the change as well
as after it, so a changed PEC is told to the old PEC too.

Notices are not automatic replies: the daily cap on replies does not hold them back (a change is
told however many replies the address already got), but our own addresses never get one. Each goes
through the outbox once, under ``notice:<inbound id>:<address>`` (``notice:approved:<ticket>:<address>``
for a staff approval).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from mailbot import audit
from mailbot.act.replies import company_info, reply_to_address
from mailbot.act.reply import Reply, approval_reply, is_to_holder, send_reply, understood_fields
from mailbot.app import App
from mailbot.config import LANGUAGES
from mailbot.db.models import Customer, Order, Ticket
from mailbot.outbound.context import ChangeNoticeContext, CustomerInfo
from mailbot.outbound.order_mail import order_info, service_info
from mailbot.outbound.outbox import NewMessage, enqueue_or_stage
from mailbot.understand.addresses import is_own_address, own_addresses

TEMPLATE = "account_change"


def addresses_on_file(customer: Customer | None) -> tuple[str, ...]:
    """The customer's email and PEC, lower-cased, each once."""
    if customer is None:
        return ()
    found = (a.strip().lower() for a in (customer.email, customer.pec) if a and "@" in a)
    return tuple(dict.fromkeys(found))


def confirm_change(r: Reply, before: Iterable[str]) -> tuple[int, list[str]]:
    """Reply to the person who wrote, and tell every other address on file (``before`` the change, and
    now); (emails enqueued, notes for people)."""
    sent, notes = send_reply(r)
    reached = {reply_to_address(r.u).lower()} if sent and is_to_holder(r) else set()
    recipients = [a for a in dict.fromkeys([*before, *addresses_on_file(r.customer)]) if a not in reached]
    for address in recipients:
        row_id = enqueue_notice(r, address)
        if row_id is None:
            notes.append(f"notice to {address}: not sent (our own address, or already enqueued)")
            continue
        sent += 1
        notes.append(f"notice of the change enqueued to {address} (outbound {row_id})")
    return sent, notes


def confirm_approval(
    session: Session, app: App, ticket: Ticket, order: Order | None, now: datetime, before: Iterable[str]
) -> tuple[int, list[str]]:
    """``confirm_change`` for a request staff approved (``before``: the addresses on file before it)."""
    reply = approval_reply(session, app, ticket, order, now)
    if reply is None:
        return 0, ["no message to answer"]
    return confirm_change(reply, before)


def enqueue_notice(r: Reply, address: str) -> int | None:
    """Enqueue the ``account_change`` notice to ``address``; its outbox id, or None when not sent."""
    assert r.customer is not None
    config = r.app.config
    if is_own_address(address, own_addresses(config)):
        return None
    c = r.customer
    lang = c.language if c.language in LANGUAGES else config.general.language
    context = ChangeNoticeContext(
        lang=lang,
        today=r.now.astimezone(config.tz).date(),
        customer=CustomerInfo(c.name, c.kind.value, address, lang, c.split_payment),
        company=company_info(config),
        intent=r.u.intent,
        requested_by=r.u.reading.message.from_address or r.inbound.sender or "-",
        requested_on=(r.inbound.received_at or r.now).astimezone(config.tz).date(),
        ticket_id=r.ticket_id,
        order=order_info(r.order, config) if r.order is not None else None,
        understood=understood_fields(r),
        services=tuple(service_info(s) for s in r.services),
    )
    message = NewMessage(
        idempotency_key=f"notice:{r.key or r.inbound.id}:{address}",  # the approval's key, or the message's
        template=TEMPLATE,
        language=lang,
        to_address=address,
        rendered=r.app.renderer.render(TEMPLATE, lang, context),
        reason=f"change to customer {c.id}'s account ({r.u.intent}) asked by inbound message {r.inbound.id}",
        customer_id=c.id,
        order_id=r.order.id if r.order is not None else None,
        details={"inbound_id": r.inbound.id, "intent": r.u.intent, "ticket_id": r.ticket_id},
    )
    row = enqueue_or_stage(
        r.session, message, mail=config.mail, now=r.now, take_id=r.batch.outbound.take if r.batch is not None else None
    )
    if row is None:
        return None
    audit.record(
        r.session,
        actor="mailbot",
        action="customer.change_notified",
        entity="customer",
        entity_id=c.id,
        now=r.now,
        details={"outbound_id": row.id, "intent": r.u.intent, "to": address},
        message_ref=r.inbound.message_id,
    )
    return row.id
