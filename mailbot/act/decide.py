"""Deciding what to do with an understood message: a pure function from values to a ``Plan``.

``decide`` reads only its ``Situation``: the understanding, the match, a ``Snapshot`` of the matched
customer (services, open orders, the matched order and email), a few facts of the stored message and
the configuration. It returns what to do (``plan``); ``write.Writer`` does it. The rules:

- Mail nobody wrote: a permanent bounce of one of our emails fails the bounced email, and marks that
  customer's address undeliverable only when the bounce gives that recipient a bad-address status,
  5.1.x (``outbound.refusals``: a refusal of the content, a full mailbox or no status at all leave the
  address for staff to judge); a temporary bounce, an auto-reply or list traffic is only recorded.
  Never answered; PROCESSED.
- A change a customer asks for (PA billing details, renewal, payment notice, billing data, automatic
  renewal on/off, cancellation, upgrade) is staged (``stage``) and applied at once only when the sender
  is verified (``matching``: a valid reply token, From the address it was sent to, and that From
  authenticated), the rule's confidence is not below ``inbound.review_threshold``, the understanding
  has no other doubt (invalid values, a card number), the change itself has none (several orders,
  services not named) and it passes the checks staff approval makes too (``check_change``); PROCESSED.
  Otherwise a staff request holds it (``tickets approve`` applies it); REVIEW. A change applied is
  confirmed to the customer's addresses on file (the reply, and the ``account_change`` notice).
- A card change, an invoice request, anything else, and any request from a sender matched to no
  customer: a support ticket; REVIEW. Unmatched senders never change anything.
- The account's status asked alone (``status``): answered with it when the reply goes to an address on
  file of the matched customer, as every reply that shows the account (``reply.is_to_holder``); it
  changes nothing, so the sender need not be verified; PROCESSED. If that reply cannot go (the daily
  cap), a support ticket instead. Anyone else: the usual neutral reply and a support ticket; REVIEW.
- A person who wrote gets one automatic reply saying what was understood, what was done or who will do
  it, what is missing or must be checked (``reply``).
- A message of several requests (``Understanding.requests``, in acting order) has each staged on its
  own, a PA's codes or a payment announced going on the order its renewal makes (``NEW_ORDER``). If
  every change may be applied at once they are, in order (``several``); if any one waits for staff,
  they all wait in one staff request, which ``tickets approve`` applies in the same order. Requests
  that change nothing (a card change, an invoice copy) open a support ticket beside them. One reply
  answers every request (``ReplyPlan.parts``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from mailbot.act.changes import (
    BILLING_FIELDS,
    NEW_ORDER,
    PA_ORDER_FIELDS,
    ChangeNotApplicable,
    check_change,
    check_changes,
)
from mailbot.act.plan import (
    ACTOR,
    Change,
    CreateOrder,
    FailEmail,
    MarkUndeliverable,
    NewTicket,
    Plan,
    ReplyPlan,
    SetCustomerFields,
)
from mailbot.act.replies import reply_to_address, why_not_reply
from mailbot.act.views import CustomerView, Match, OrderView, ServiceView, Snapshot
from mailbot.config import Config
from mailbot.domain import (
    AUTORENEW_METHODS,
    CHANGE_INTENTS,
    OPEN_ORDER_STATUSES,
    CustomerKind,
    InboundStatus,
    Intent,
    PaymentMethod,
    ReplyOutcome,
    SenderKind,
    ServiceStatus,
    TicketKind,
)
from mailbot.outbound.context import RequestOutcome
from mailbot.outbound.refusals import is_bad_address_status
from mailbot.understand.engine import Request
from mailbot.understand.reading import Understanding

# Understood field -> order column, for PA billing details (the inverse of PA_ORDER_FIELDS).
PA_FIELD_COLUMNS = {understood: column for column, understood in PA_ORDER_FIELDS.items()}


@dataclass(frozen=True)
class MessageFacts:
    """What deciding needs of the stored message's row."""

    id: int
    message_id: str | None
    sender: str | None
    card_number_detected: bool  # found when it was stored (the stored copy is redacted)


@dataclass(frozen=True)
class Situation:
    """Everything ``decide`` reads."""

    understanding: Understanding
    match: Match
    snapshot: Snapshot
    message: MessageFacts
    config: Config
    now: datetime
    # A renewal asked in the same message makes an order first: a PA's codes and a payment announced
    # are about that order (``NEW_ORDER``).
    new_order: bool = False

    @property
    def today(self) -> date:
        return self.now.astimezone(self.config.tz).date()

    @property
    def customer(self) -> CustomerView | None:
        return self.snapshot.customer


def decide(s: Situation) -> Plan:
    kind = s.understanding.reading.kind
    if kind == SenderKind.BOUNCE:
        return bounce_plan(s)
    if kind != SenderKind.HUMAN:
        return Plan(InboundStatus.PROCESSED, notes=(f"{kind}: recorded, never answered",))
    if s.understanding.intent == Intent.STATUS_REQUEST and len(s.understanding.requests) <= 1:
        return status(s)
    if s.understanding.intent not in CHANGE_INTENTS:
        return support(s, "")
    if s.customer is None:
        return support(s, "the sender is matched to no customer: nothing is changed by email")
    if len(s.understanding.requests) > 1:
        return several(s)
    return change(s)


# Bounces -----------------------------------------------------------------------------------------


def bounce_plan(s: Situation) -> Plan:
    bounce = s.understanding.reading.bounce
    done = InboundStatus.PROCESSED
    if bounce is None or not bounce.permanent:
        return Plan(done, notes=("temporary delivery failure: recorded",))
    row = s.snapshot.email
    if row is None:
        return Plan(done, notes=("permanent bounce of no email of ours: recorded",))
    recipients = {r.strip().lower() for r in bounce.recipients}
    if recipients and row.to_address.strip().lower() not in recipients:
        return Plan(done, notes=(f"bounce names {', '.join(sorted(recipients))}, not {row.to_address}",))
    status = bounce.status_of(row.to_address)
    if status is not None and not status.startswith("5"):  # this recipient was only delayed
        return Plan(done, notes=(f"temporary delivery failure ({status}) of {row.message_id}: recorded",))
    reason = f"bounce {status} of {row.message_id}" if status else f"bounce with no status of {row.message_id}"
    failed = (FailEmail(row.id, reason),)
    if not is_bad_address_status(status):  # a refusal of the content, a full mailbox, a policy, no status
        note = (
            f"permanent bounce of {row.message_id} ({status or 'no status'}): the "
            "email failed, address kept (only a 5.1.x status marks it)"
        )
        return Plan(done, notes=(note,), bounce=failed)
    if row.customer_id is None:
        return Plan(done, notes=(f"permanent bounce of {row.message_id} (no customer): recorded",), bounce=failed)
    details = {"outbound_id": row.id, "outbound_message_id": row.message_id, "template": row.template}
    mark = MarkUndeliverable(row.customer_id, row.to_address, reason, details, f"permanent bounce of {row.message_id}")
    return Plan(done, bounce=(*failed, mark))


# Changes -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staged:
    """The change a message asks for, JSON-ready (what a staff request holds), with the doubts that
    forbid applying it without a person, or a ``note`` when there is nothing to change."""

    change: dict[str, Any] | None
    doubts: tuple[str, ...] = ()
    order: OrderView | None = None
    services: tuple[ServiceView, ...] = ()
    years_asked: int | None = None  # renewal: the years asked when the change has fewer
    method_asked: str | None = None  # renewal: the way to pay asked when the rules chose another
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def change(s: Situation) -> Plan:
    customer = s.customer
    assert customer is not None
    staged = stage(s)
    if staged.change is None:
        if s.understanding.intent == Intent.PA_BILLING_DETAILS and s.understanding.invalid and not staged.extra:
            return ask_to_check(s)
        return support(s, staged.note, staged)
    blockers = why_not_automatic(s) + list(staged.doubts)
    if not blockers:
        try:
            checked = check_change(s.understanding.intent, staged.change, s.snapshot, s.config, s.today)
        except ChangeNotApplicable as exc:
            blockers.append(f"not applicable: {exc}")
        else:
            # The reply's values also tell the notices what was done, when no reply may go.
            return Plan(
                InboundStatus.PROCESSED,
                changes=(checked,),
                reply=reply_plan(s, ReplyOutcome.APPLIED, staged, staged.order, order_of_change=True),
                no_reply=why_not_reply(s.config, s.understanding) or "",
                notices=told_of(customer, (checked,)),
            )
    ticket = NewTicket(
        TicketKind.REQUEST,
        s.understanding.intent,
        f"{s.understanding.intent} from {sender(s)}: waits for approval ({'; '.join(blockers)})"[:2000],
        {**message_details(s), "change": staged.change, "why_not_automatic": blockers},
        customer.id,
        staged.order.id if staged.order else s.match.order_id,
        reason=blockers[0],
    )
    return with_reply(s, Plan(InboundStatus.REVIEW, ticket=ticket), ReplyOutcome.STAFF, staged, staged.order)


def for_request(s: Situation, request: Request, *, new_order: bool = False) -> Situation:
    """``s`` as if the message asked ``request`` alone (its rule and confidence)."""
    understanding = replace(s.understanding, intent=request.intent, rule=request.rule, confidence=request.confidence)
    return replace(s, understanding=understanding, new_order=new_order)


@dataclass(frozen=True)
class Asked:
    """One request of a message of several, staged on its own."""

    situation: Situation
    staged: Staged  # ``change`` None: it changes nothing by itself (``note`` says why)
    blockers: tuple[str, ...] = ()  # why its change may not be applied at once

    @property
    def intent(self) -> str:
        return self.situation.understanding.intent


def several(s: Situation) -> Plan:
    """Every request of the message (in acting order) staged on its own; applied together when each may
    be, else held together for staff; one support ticket for those that change nothing; one reply."""
    customer = s.customer
    assert customer is not None
    asked: list[Asked] = []
    new_order = False
    for request in s.understanding.requests:
        rs = for_request(s, request, new_order=new_order)
        staged = stage(rs) if request.intent in CHANGE_INTENTS else Staged(None, note="a person handles it")
        if staged.change is None:
            asked.append(Asked(rs, staged))
            continue
        asked.append(Asked(rs, staged, tuple(confidence_doubts(rs)) + staged.doubts))
        new_order = new_order or (request.intent == Intent.RENEWAL_REQUEST and staged.order is None)
    changing = [a for a in asked if a.staged.change is not None]
    others = [a for a in asked if a.staged.change is None]
    blockers = (message_doubts(s) if changing else []) + [f"{a.intent}: {why}" for a in changing for why in a.blockers]
    if s.understanding.contradicted and changing:
        contradiction = f"{s.understanding.intent} and {', '.join(s.understanding.contradicted)} contradict each other"
        blockers.insert(0, f"{contradiction}: a person reads the message")
    checked: list[Change] = []
    if changing and not blockers:
        try:
            checked = check_changes(
                [(a.intent, a.staged.change or {}) for a in changing], s.snapshot, s.config, s.today
            )
        except ChangeNotApplicable as exc:
            blockers.append(f"not applicable: {exc}")
    held = bool(blockers)
    parts = tuple(
        RequestOutcome(
            a.intent,
            ReplyOutcome.TICKET if a.staged.change is None else ReplyOutcome.STAFF if held else ReplyOutcome.APPLIED,
        )
        for a in asked
    )
    notes = tuple(f"{a.intent}: {a.staged.note}" for a in others if a.staged.note)
    ticket: NewTicket | None = None
    details = {**message_details(s), "intents": [a.intent for a in asked], "notes": list(notes)}
    if held:
        waiting = [{"intent": a.intent, "change": a.staged.change} for a in changing]
        summary = f"{', '.join(a.intent for a in changing)} from {sender(s)}: wait for approval ({'; '.join(blockers)})"
        ticket = NewTicket(
            TicketKind.REQUEST,
            s.understanding.intent,
            summary[:2000],
            {**details, "changes": waiting, "why_not_automatic": blockers},
            customer.id,
            next((a.staged.order.id for a in changing if a.staged.order is not None), s.match.order_id),
            reason=blockers[0],
        )
    elif others:
        summary = f"{', '.join(a.intent for a in others)} from {sender(s)}" + (f": {'; '.join(notes)}" if notes else "")
        ticket = NewTicket(TicketKind.SUPPORT, others[0].intent, summary[:2000], details, customer.id, s.match.order_id)
    renewal = next((a for a in changing if a.intent == Intent.RENEWAL_REQUEST), None)
    services = tuple(dict.fromkeys(sv.id for a in asked for sv in a.staged.services))
    order = next((a.staged.order for a in changing if a.staged.order is not None), None)
    reply = ReplyPlan(
        outcome=ReplyOutcome.STAFF if held else ReplyOutcome.APPLIED if checked and not others else ReplyOutcome.TICKET,
        order_id=order.id if order is not None else None,
        order_of_change=any(isinstance(c.effect, CreateOrder) for c in checked),
        service_ids=services,
        years_asked=renewal.staged.years_asked if renewal is not None else None,
        method_asked=renewal.staged.method_asked if renewal is not None else None,
        staged_values={
            k: str(v)
            for a in changing
            if a.intent == Intent.PA_BILLING_DETAILS
            for k, v in dict((a.staged.change or {}).get("set") or {}).items()
        },
        parts=parts,
    )
    plan = Plan(
        InboundStatus.PROCESSED if ticket is None else InboundStatus.REVIEW,
        notes=notes,
        changes=tuple(checked),
        ticket=ticket,
        notices=told_of(customer, checked),
    )
    reason = why_not_reply(s.config, s.understanding)
    if reason:
        return replace(plan, no_reply=reason, reply=reply if checked else None)
    return replace(plan, reply=reply)


def why_not_automatic(s: Situation) -> list[str]:
    """Why this message may not change anything without a person (empty: it may)."""
    return sender_doubts(s) + confidence_doubts(s) + content_doubts(s)


def message_doubts(s: Situation) -> list[str]:
    """What keeps every request of the message from being applied without a person."""
    return sender_doubts(s) + content_doubts(s)


def sender_doubts(s: Situation) -> list[str]:
    if s.match.verified:
        return []
    return [f"sender not verified: {s.match.unverified or 'no reply token of ours'}"]


def confidence_doubts(s: Situation) -> list[str]:
    """The request's rule was not confident enough to act without a person."""
    threshold, confidence = s.config.inbound.review_threshold, s.understanding.confidence
    return [f"rule confidence {confidence:.2f} below {threshold:.2f}"] if confidence < threshold else []


def content_doubts(s: Situation) -> list[str]:
    """Values that failed their check, a card number sent by email."""
    understanding, reasons = s.understanding, []
    if understanding.invalid:
        reasons.append("invalid values: " + ", ".join(sorted({v.field for v in understanding.invalid})))
    if s.message.card_number_detected or understanding.reading.card_number_detected:
        reasons.append("card number sent by email")
    return reasons


def ask_to_check(s: Situation) -> Plan:
    """Only invalid values came: nothing to apply or approve; the reply asks the sender to check them.
    When it cannot go, a support ticket instead."""
    reason = why_not_reply(s.config, s.understanding)
    note = "only invalid values, and the sender could not be asked to check them: "
    if reason:
        return support(s, note + f"no reply: {reason}")
    return Plan(
        InboundStatus.PROCESSED,
        notes=("only invalid values: asked to check",),
        reply=reply_plan(s, ReplyOutcome.NONE, None, None),
        unanswered=replace(support(s, note), reply=None, no_reply=""),
    )


# The account's status ----------------------------------------------------------------------------


def status(s: Situation) -> Plan:
    """The account's status, to the holder who asked for it (see the module's docstring)."""
    customer = s.customer
    if customer is None:
        return support(s, "the sender is matched to no customer: no account is shown")
    to = reply_to_address(s.understanding).strip().lower()
    if to not in addresses_on_file(customer):
        return support(s, f"the reply would go to {to}, not an address on file: the account is shown only there")
    reason = why_not_reply(s.config, s.understanding)
    if reason:
        return support(s, f"the account's status cannot be sent: {reason}")
    return Plan(
        InboundStatus.PROCESSED,
        notes=("the account's status sent to its address on file",),
        reply=ReplyPlan(ReplyOutcome.APPLIED, account_status=True),
        unanswered=replace(support(s, "the account's status could not be sent: "), reply=None, no_reply=""),
    )


# Support tickets ---------------------------------------------------------------------------------


def support(s: Situation, note: str, staged: Staged | None = None) -> Plan:
    details = {**message_details(s), "note": note}
    if staged is not None and staged.extra:
        details["understood_but_not_applied"] = staged.extra
    customer = s.customer
    if customer is not None and s.understanding.intent == Intent.CARD_CHANGE:
        details["autorenew_services"] = [
            {
                "id": sv.id,
                "external_id": sv.external_id,
                "label": sv.label,
                "method": sv.payment_method.value,
                "card_expires": sv.card_expires.isoformat() if sv.card_expires else None,
            }
            for sv in customer.services
            if sv.autorenew
        ]
    summary = f"{s.understanding.intent} from {sender(s)}" + (f": {note}" if note else "")
    ticket = NewTicket(
        TicketKind.SUPPORT,
        s.understanding.intent,
        summary[:2000],
        details,
        customer.id if customer else None,
        s.match.order_id,
    )
    return with_reply(s, Plan(InboundStatus.REVIEW, ticket=ticket), ReplyOutcome.TICKET, staged, None)


def with_reply(s: Situation, plan: Plan, outcome: ReplyOutcome, staged: Staged | None, order: OrderView | None) -> Plan:
    reason = why_not_reply(s.config, s.understanding)
    if reason:
        return replace(plan, no_reply=reason)
    return replace(plan, reply=reply_plan(s, outcome, staged, order))


def reply_plan(
    s: Situation,
    outcome: ReplyOutcome,
    staged: Staged | None,
    order: OrderView | None,
    *,
    order_of_change: bool = False,
) -> ReplyPlan:
    return ReplyPlan(
        outcome=outcome,
        order_id=order.id if order is not None else None,
        order_of_change=order_of_change,
        service_ids=tuple(sv.id for sv in staged.services) if staged is not None else (),
        years_asked=staged.years_asked if staged is not None else None,
        method_asked=staged.method_asked if staged is not None else None,
        staged_values=dict((staged.change or {}).get("set") or {}) if staged is not None else {},
    )


def sender(s: Situation) -> str:
    return s.understanding.reading.message.from_address or s.message.sender or "unknown sender"


def message_details(s: Situation) -> dict[str, Any]:
    """What staff see of the message on its ticket."""
    understanding = s.understanding
    return {
        "message_id": s.message.message_id,
        "sender": sender(s),
        "subject": understanding.reading.message.subject,
        "match": s.match.details(),
        "rule": understanding.rule,
        "confidence": understanding.confidence,
        "fields": {k: list(v) if isinstance(v, list | tuple) else v for k, v in understanding.fields.items()},
        "invalid": [{"field": v.field, "value": v.value, "reason": v.reason} for v in understanding.invalid],
        "card_number_detected": s.message.card_number_detected or understanding.reading.card_number_detected,
    }


def told_of(customer: CustomerView | None, changes: Sequence[Change]) -> tuple[str, ...]:
    """The addresses on file told of ``changes``: as they are and as each change leaves them (a changed
    PEC is told to the old one too)."""
    told = list(addresses_on_file(customer))
    for change in changes:
        if isinstance(change.effect, SetCustomerFields):
            told += addresses_on_file(customer, change.effect.values)
    return tuple(dict.fromkeys(told))


def addresses_on_file(customer: CustomerView | None, changed: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """The customer's email and PEC, lower-cased, each once (with ``changed`` columns applied)."""
    if customer is None:
        return ()
    values = {"email": customer.email, "pec": customer.pec, **(changed or {})}
    found = (str(a).strip().lower() for a in (values["email"], values["pec"]) if a and "@" in str(a))
    return tuple(dict.fromkeys(found))


# Staging: what the message asks, against the snapshot -----------------------------------------------


def stage(s: Situation) -> Staged:
    """The change ``s.understanding`` asks of the matched customer's data."""
    builders = {
        Intent.PA_BILLING_DETAILS: _pa_details,
        Intent.RENEWAL_REQUEST: _renewal,
        Intent.PAYMENT_NOTICE: _payment_notice,
        Intent.BILLING_UPDATE: _billing_update,
        Intent.AUTORENEW_OFF: _autorenew,
        Intent.AUTORENEW_ON: _autorenew,
        Intent.CANCELLATION: _cancellation,
        Intent.UPGRADE_REQUEST: _upgrade,
    }
    builder = builders.get(Intent(s.understanding.intent)) if s.understanding.intent in set(Intent) else None
    if builder is None:
        return Staged(None, note=f"{s.understanding.intent} changes nothing by itself")
    return builder(s)


def target_order(s: Situation) -> tuple[OrderView | None, list[str], str]:
    """The order the message is about: (order or None, doubts, note when none at all)."""
    customer = s.customer
    assert customer is not None
    order = s.snapshot.order
    if order is not None and order.customer_id == customer.id:
        if order.status in OPEN_ORDER_STATUSES:
            return order, [], ""
        return None, [], f"order {order.number} is {order.status.value}, not awaiting payment"
    candidates = s.snapshot.open_orders
    if len(candidates) == 1:
        return candidates[0], [], ""
    if not candidates:
        return None, [], "no order of this customer awaits payment"
    numbers = ", ".join(o.number for o in candidates)
    return None, [f"{len(candidates)} orders await payment ({numbers}) and the message names none"], ""


def _pa_details(s: Situation) -> Staged:
    values: dict[str, str] = {}
    doubts: list[str] = []
    for name, column in PA_FIELD_COLUMNS.items():
        found = s.understanding.fields.get(name)
        items = list(found) if isinstance(found, list | tuple) else ([found] if found else [])
        if len(items) == 1:
            values[column] = str(items[0])
        elif len(items) > 1:
            doubts.append(f"several {name} values ({', '.join(map(str, items))}): a person chooses")
    if not values and not doubts:
        return Staged(None, note="no valid billing detail in the message")
    username = values.get("pa_username")
    customer = s.customer
    if (
        username
        and customer is not None
        and not any(sv.username.lower() == username.lower() for sv in customer.services)
    ):
        # A word read as a username must not reach the invoice unseen: only a service's own name is applied.
        doubts.append(f"username {username} names no service of this customer: a person checks it")
    if s.new_order:
        return Staged({"order_id": NEW_ORDER, "set": values}, tuple(doubts))
    order, order_doubts, note = target_order(s)
    if note:
        return Staged(None, note=note, extra={"set": values})
    change = {"order_id": order.id if order is not None else None, "set": values}
    return Staged(change, tuple(doubts + order_doubts), order=order)


def _payment_notice(s: Situation) -> Staged:
    if s.new_order:
        return Staged({"order_id": NEW_ORDER, "payment_reference": s.understanding.fields.get("payment_reference")})
    order, doubts, note = target_order(s)
    reference = s.understanding.fields.get("payment_reference")
    if note:
        return Staged(None, note=note)
    return Staged({"order_id": order.id if order else None, "payment_reference": reference}, tuple(doubts), order)


def _billing_update(s: Situation) -> Staged:
    values = {name: str(s.understanding.fields[name]) for name in BILLING_FIELDS if s.understanding.fields.get(name)}
    if not values:
        return Staged(None, note="no valid billing data in the message")
    return Staged({"set": values})


def named_services(s: Situation) -> list[ServiceView]:
    """The services the message is explicitly about: of the email answered, the matched order, a username."""
    customer = s.customer
    assert customer is not None
    email = s.snapshot.email
    if email is not None:
        found = [sv for sv in (s.snapshot.service(i) for i in dict.fromkeys(email.service_ids)) if sv is not None]
        if found:
            return [sv for sv in found if sv.customer_id == customer.id]
    order = s.snapshot.order
    if order is not None and order.customer_id == customer.id:
        return [sv for sv in (s.snapshot.service(i) for i in order.service_ids) if sv is not None]
    username = str(s.understanding.fields.get("username") or "").strip().lower()
    if username:
        return [sv for sv in customer.services if sv.username.lower() == username]
    return []


def choose_services(
    named: Sequence[ServiceView], candidates: Sequence[ServiceView], what: str
) -> tuple[list[ServiceView], list[str]]:
    """The named services that are candidates; else the only candidate; else all of them, with a doubt."""
    ids = {c.id for c in candidates}
    if named:
        chosen = [sv for sv in named if sv.id in ids]
        skipped = [sv.external_id for sv in named if sv.id not in ids]
        return chosen, [f"not {what}: {', '.join(skipped)}"] if skipped and chosen else []
    if len(candidates) > 1:
        return list(candidates), [f"the message names no service: all {len(candidates)} {what} are proposed"]
    return list(candidates), []


def _services_change(services: Sequence[ServiceView], doubts: Sequence[str], what: str) -> Staged:
    if not services:
        return Staged(None, note=f"no service {what}")
    return Staged({"service_ids": [sv.id for sv in services]}, tuple(doubts), services=tuple(services))


def _autorenew(s: Situation) -> Staged:
    customer = s.customer
    assert customer is not None
    if s.understanding.intent == Intent.AUTORENEW_ON:
        candidates = [
            sv
            for sv in customer.services
            if not sv.autorenew
            and sv.status == ServiceStatus.ACTIVE
            and sv.expires_on >= s.today
            and sv.payment_method in AUTORENEW_METHODS
        ]
        what = "that can renew automatically (active, paid by card or PayPal)"
    else:
        candidates = [sv for sv in customer.services if sv.autorenew]
        what = "with automatic renewal on"
    chosen, doubts = choose_services(named_services(s), candidates, what)
    return _services_change(chosen, doubts, what)


def _cancellation(s: Situation) -> Staged:
    customer = s.customer
    assert customer is not None
    candidates = [sv for sv in customer.services if sv.status != ServiceStatus.CANCELLED]
    what = "still active"
    chosen, doubts = choose_services(named_services(s), candidates, what)
    return _services_change(chosen, doubts, what)


def _upgrade(s: Situation) -> Staged:
    customer = s.customer
    assert customer is not None
    services = named_services(s) or [sv for sv in customer.services if sv.status == ServiceStatus.ACTIVE]
    change = {"service_ids": [sv.id for sv in services], "request": s.understanding.reading.new_text[:2000]}
    return Staged(change, ("an upgrade is priced and set up by a person",), services=tuple(services))


def _renewal(s: Situation) -> Staged:
    customer = s.customer
    assert customer is not None
    grace = timedelta(days=s.config.reminders.grace_days)
    candidates = [
        sv for sv in customer.services if sv.status == ServiceStatus.ACTIVE and s.today <= sv.expires_on + grace
    ]
    what = "that can be renewed (active, not past the grace period)"
    services, doubts = choose_services(named_services(s), candidates, what)
    if not services:
        return Staged(None, note=f"no service {what}")
    ids = {sv.id for sv in services}
    busy = [o for o in s.snapshot.open_orders if set(o.service_ids) & ids]
    if busy:
        doubts.append(f"order {busy[0].number} already awaits payment for these services")
    asked = int(s.understanding.fields.get("years") or 1)
    asked_method = s.understanding.reading.payment_method
    method = renewal_method(customer, services, asked, asked_method)
    limit = min(sv.product.years_allowed for sv in services)
    if method == PaymentMethod.BANK_TRANSFER:
        limit = 1
    years = max(1, min(asked, limit))
    change = {"service_ids": [sv.id for sv in services], "years": years, "method": method.value, "years_asked": asked}
    return Staged(
        change,
        tuple(doubts),
        services=tuple(services),
        years_asked=asked if asked > years else None,
        method_asked=asked_method if asked_method is not None and asked_method != method else None,
        order=busy[0] if busy else None,
    )


def renewal_method(
    customer: CustomerView, services: Sequence[ServiceView], years: int, asked: str | None = None
) -> PaymentMethod:
    """How an order asked for by email is paid: public administrations (and split payment) by bank
    transfer, one year; else the way the message asks ("con bonifico": a bank transfer, one year, as
    the reply then says); else card or PayPal on file by that; several years by an online payment link
    (PayPal, which also takes cards); else the postal slip on file or a bank transfer."""
    if customer.kind == CustomerKind.PUBLIC_ADMINISTRATION or customer.split_payment:
        return PaymentMethod.BANK_TRANSFER
    if asked in set(PaymentMethod) and asked != PaymentMethod.NONE:
        return PaymentMethod(asked)
    on_file = {sv.payment_method for sv in services}
    if len(on_file) == 1 and next(iter(on_file)) in AUTORENEW_METHODS:
        return next(iter(on_file))
    if years > 1:
        return PaymentMethod.PAYPAL
    if len(on_file) == 1 and next(iter(on_file)) == PaymentMethod.POSTAL_SLIP:
        return PaymentMethod.POSTAL_SLIP
    return PaymentMethod.BANK_TRANSFER


__all__ = ["ACTOR", "MessageFacts", "Situation", "Staged", "decide", "stage"]
