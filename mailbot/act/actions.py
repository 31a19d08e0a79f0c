"""Acting on an understood message: the "act" step of the inbound pipeline, in its transaction.

- Mail nobody wrote: a permanent bounce of one of our emails fails the bounced outbox row, and marks
  that customer's address undeliverable only when the bounce gives that recipient a bad-address
  status, 5.1.x (``outbound.refusals``: a refusal of the content, a full mailbox or no status at all
  leave the address for staff to judge); a temporary bounce, an auto-reply or list traffic is only
  recorded. Never answered; PROCESSED.
- A change a customer asks for (PA billing details, renewal, payment notice, billing data, automatic
  renewal on/off, cancellation, upgrade) is built as a staged change (``actions_build``) and applied
  at once (``actions_changes.apply_change``) only when the sender is verified (``matching``: a valid
  reply token, From the address it was sent to, and that From authenticated), the rule's confidence is
  not below ``inbound.review_threshold``, the understanding has no other doubt (invalid values, a card
  number) and the change itself has none (several orders, services not named); PROCESSED. Otherwise
  a staff request holds it (``tickets approve`` applies it); REVIEW. A change applied is confirmed to
  the customer's addresses on file (``notices``).
- A card change, an invoice request, anything else, and any request from a sender matched to no
  customer: a support ticket; REVIEW. Unmatched senders never change anything.
- A person who wrote gets one automatic reply (``actions_reply``) saying what was understood, what
  was done or who will do it, what is missing or must be checked; never card data by email, and
  nothing of the account unless it goes to the customer's address on file.
Everything done is audited with the message's Message-ID.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mailbot.act.batch import Batch
from mailbot.act.build import Staged, build_change
from mailbot.act.changes import Applied, ChangeNotApplicable, apply_change
from mailbot.act.matching import Match
from mailbot.act.notices import addresses_on_file, confirm_change
from mailbot.act.reply import Reply, send_reply
from mailbot.act.tickets_open import open_ticket
from mailbot.app import App
from mailbot.db.models import Customer, InboundMessage, OutboundMessage
from mailbot.domain import CHANGE_INTENTS, InboundStatus, OutboundStatus, TicketKind
from mailbot.outbound.refusals import is_bad_address_status
from mailbot.outbound.undeliverable import mark_undeliverable
from mailbot.understand.reading import Understanding

log = logging.getLogger(__name__)

ACTOR = "mailbot"


@dataclass(frozen=True)
class ActionResult:
    """What acting on a message did; stored on the message under ``understanding["actions"]``."""

    status: InboundStatus
    ticket_ids: list[int] = field(default_factory=list)
    replies: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    """One message being acted on, and everything needed to act."""

    session: Session
    app: App
    inbound: InboundMessage
    u: Understanding
    match: Match
    customer: Customer | None
    now: datetime
    batch: Batch | None = None  # acting on a batch in one flush (see ``batch``)

    @property
    def ref(self) -> str | None:
        return self.inbound.message_id


def act(
    session: Session,
    app: App,
    inbound: InboundMessage,
    u: Understanding,
    match: Match,
    now: datetime,
    batch: Batch | None = None,
) -> ActionResult:
    """Act on one message inside the pipeline's transaction (an exception rolls everything back);
    ``batch`` when the pipeline acts on many messages with autoflush off and one flush at the end."""
    kind = u.reading.kind
    if kind == "bounce":
        return act_on_bounce(session, inbound, u, match, now)
    if kind != "human":
        return ActionResult(InboundStatus.PROCESSED, notes=[f"{kind}: recorded, never answered"])
    customer = session.get(Customer, match.customer_id) if match.customer_id is not None else None
    job = Job(session, app, inbound, u, match, customer, now, batch)
    if u.intent not in CHANGE_INTENTS:
        return support(job, "")
    if customer is None:
        return support(job, "the sender is matched to no customer: nothing is changed by email")
    return change(job)


# Bounces -----------------------------------------------------------------------------------------


def act_on_bounce(
    session: Session, inbound: InboundMessage, u: Understanding, match: Match, now: datetime
) -> ActionResult:
    bounce = u.reading.bounce
    done = InboundStatus.PROCESSED
    if bounce is None or not bounce.permanent:
        return ActionResult(done, notes=["temporary delivery failure: recorded"])
    row = session.get(OutboundMessage, match.outbound_id) if match.outbound_id is not None else None
    if row is None:
        return ActionResult(done, notes=["permanent bounce of no email of ours: recorded"])
    recipients = {r.strip().lower() for r in bounce.recipients}
    if recipients and row.to_address.strip().lower() not in recipients:
        return ActionResult(done, notes=[f"bounce names {', '.join(sorted(recipients))}, not {row.to_address}"])
    status = bounce.status_of(row.to_address)
    if status is not None and not status.startswith("5"):  # this recipient was only delayed
        return ActionResult(done, notes=[f"temporary delivery failure ({status}) of {row.message_id}: recorded"])
    reason = f"bounce {status} of {row.message_id}" if status else f"bounce with no status of {row.message_id}"
    if row.status == OutboundStatus.SENT:
        row.status, row.last_error = OutboundStatus.FAILED, reason
    if not is_bad_address_status(status):  # a refusal of the content, a full mailbox, a policy, no status
        return ActionResult(
            done,
            notes=[
                f"permanent bounce of {row.message_id} ({status or 'no status'}): the "
                "email failed, address kept (only a 5.1.x status marks it)"
            ],
        )
    if row.customer_id is None:
        return ActionResult(done, notes=[f"permanent bounce of {row.message_id} (no customer): recorded"])
    changed = mark_undeliverable(
        session,
        customer_id=row.customer_id,
        address=row.to_address,
        reason=reason,
        now=now,
        actor=ACTOR,
        message_ref=inbound.message_id,
        details={"outbound_id": row.id, "outbound_message_id": row.message_id, "template": row.template},
    )
    note = "address marked undeliverable" if changed else "address already undeliverable or changed since"
    return ActionResult(done, notes=[f"permanent bounce of {row.message_id}: {note}"])


# Changes -----------------------------------------------------------------------------------------


def change(job: Job) -> ActionResult:
    assert job.customer is not None
    staged = build_change(job.session, job.app, job.u, job.match, job.customer, job.now)
    if staged.change is None:
        if job.u.intent == "pa_billing_details" and job.u.invalid and not staged.extra:
            return ask_to_check(job)
        return support(job, staged.note, staged)
    blockers = why_not_automatic(job) + list(staged.doubts)
    if not blockers:
        before = addresses_on_file(job.customer)  # a changed PEC is told to the old one too
        outcome = try_apply(job, staged.change)
        if isinstance(outcome, Applied):
            if job.batch is not None and job.u.intent == "billing_update":  # a PEC, which matching reads
                job.batch.rematch = True
            replies, notes = confirm_change(job_reply(job, "applied", None, staged, outcome.order), before)
            return ActionResult(InboundStatus.PROCESSED, [], replies, [outcome.summary, *notes])
        blockers.append(outcome)
    ticket_id = open_ticket(
        job.session,
        kind=TicketKind.REQUEST,
        intent=job.u.intent,
        summary=f"{job.u.intent} from {sender(job)}: waits for approval ({'; '.join(blockers)})"[:2000],
        details={**message_details(job), "change": staged.change, "why_not_automatic": blockers},
        now=job.now,
        customer_id=job.customer.id,
        order_id=staged.order.id if staged.order else job.match.order_id,
        inbound=job.inbound,
        actor=ACTOR,
        numbers=job.batch.tickets if job.batch else None,
    )
    replies, notes = send_reply(job_reply(job, "staff", ticket_id, staged, staged.order))
    return ActionResult(InboundStatus.REVIEW, [ticket_id], replies, [f"request {ticket_id}: {blockers[0]}", *notes])


def why_not_automatic(job: Job) -> list[str]:
    """Why this message may not change anything without a person (empty: it may)."""
    u, reasons = job.u, []
    if not job.match.verified:
        reasons.append(f"sender not verified: {job.match.unverified or 'no reply token of ours'}")
    threshold = job.app.config.inbound.review_threshold
    if u.confidence < threshold:
        reasons.append(f"rule confidence {u.confidence:.2f} below {threshold:.2f}")
    if u.invalid:
        reasons.append("invalid values: " + ", ".join(sorted({v.field for v in u.invalid})))
    if job.inbound.card_number_detected:  # set at store time too: the stored raw is already redacted
        reasons.append("card number sent by email")
    return reasons


def try_apply(job: Job, staged_change: dict[str, Any]) -> Applied | str:
    """Apply in a SAVEPOINT: a change found not applicable leaves nothing half done; returns why."""
    try:
        with job.session.begin_nested():
            return apply_change(
                job.session,
                job.app,
                job.u.intent,
                staged_change,
                customer=job.customer,
                now=job.now,
                actor=ACTOR,
                message_ref=job.ref,
            )
    except ChangeNotApplicable as exc:
        return f"not applicable: {exc}"


def ask_to_check(job: Job) -> ActionResult:
    """Only invalid values came: nothing to apply or approve; the reply asks the sender to check them."""
    replies, notes = send_reply(job_reply(job, "none", None, None, None))
    if replies:
        return ActionResult(InboundStatus.PROCESSED, [], replies, ["only invalid values: asked to check", *notes])
    return support(job, "only invalid values, and the sender could not be asked to check them: " + "; ".join(notes))


# Support tickets ---------------------------------------------------------------------------------


def support(job: Job, note: str, staged: Staged | None = None) -> ActionResult:
    details = {**message_details(job), "note": note}
    if staged is not None and staged.extra:
        details["understood_but_not_applied"] = staged.extra
    if job.customer is not None and job.u.intent == "card_change":
        details["autorenew_services"] = [
            {
                "id": s.id,
                "external_id": s.external_id,
                "label": s.label,
                "method": s.payment_method.value,
                "card_expires": s.card_expires.isoformat() if s.card_expires else None,
            }
            for s in job.customer.services
            if s.autorenew
        ]
    summary = f"{job.u.intent} from {sender(job)}" + (f": {note}" if note else "")
    ticket_id = open_ticket(
        job.session,
        kind=TicketKind.SUPPORT,
        intent=job.u.intent,
        summary=summary[:2000],
        details=details,
        now=job.now,
        customer_id=job.customer.id if job.customer else None,
        order_id=job.match.order_id,
        inbound=job.inbound,
        actor=ACTOR,
        numbers=job.batch.tickets if job.batch else None,
    )
    replies, notes = send_reply(job_reply(job, "ticket", ticket_id, staged, None))
    return ActionResult(InboundStatus.REVIEW, [ticket_id], replies, [f"support ticket {ticket_id}", *notes])


def sender(job: Job) -> str:
    return job.u.reading.message.from_address or job.inbound.sender or "unknown sender"


def message_details(job: Job) -> dict[str, Any]:
    """What staff see of the message on its ticket."""
    u = job.u
    return {
        "message_id": job.ref,
        "sender": sender(job),
        "subject": u.reading.message.subject,
        "match": job.match.details(),
        "rule": u.rule,
        "confidence": u.confidence,
        "fields": {k: list(v) if isinstance(v, list | tuple) else v for k, v in u.fields.items()},
        "invalid": [{"field": v.field, "value": v.value, "reason": v.reason} for v in u.invalid],
        "card_number_detected": job.inbound.card_number_detected,
    }


def job_reply(job: Job, outcome: str, ticket_id: int | None, staged: Staged | None, order: Any) -> Reply:
    return Reply(
        session=job.session,
        app=job.app,
        inbound=job.inbound,
        u=job.u,
        customer=job.customer,
        now=job.now,
        outcome=outcome,
        ticket_id=ticket_id,
        order=order,
        services=staged.services if staged is not None else (),
        years_asked=staged.years_asked if staged is not None else None,
        staged_values=dict((staged.change or {}).get("set") or {}) if staged is not None else {},
        batch=job.batch,
    )
