"""The inbound orchestrator and its error boundary: one stored message in, one status out.

``process_inbound`` runs every step on a message already stored by ``store.store_raw``: read the
stored raw, understand it, match it, decide with the matched customer's kind, store the understanding
and attachments, act, set the status. All of it in ONE transaction, so a failure leaves nothing half
done. The boundary rolls it back and records the failure in a fresh transaction (``failures``):
- a ``TransientError`` or a database ``OperationalError`` (locked, unreachable): the message stays
  RECEIVED with one more attempt, retried later; quarantined once it reaches ``inbound.max_attempts``;
- anything else: QUARANTINED with the error and a support ticket so staff see it. The raw message is
  kept; the loop goes on.

``Outcome.folder`` tells an intake where the message belongs (the ``imap`` folders): processed,
review, quarantine, or the incoming folder itself for a message to retry.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from email.message import Message
from functools import partial
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from mailbot.act.actions import ActionResult, act
from mailbot.act.batch import Batch
from mailbot.act.build import known_open_orders, preload
from mailbot.act.matching import Match, MatchKeys, find_match, find_matches, match_keys
from mailbot.act.sender_auth import authenticate_sender
from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.db.held import held as held_rows
from mailbot.db.models import AuditEvent, Customer, InboundAttachment, InboundMessage, Ticket
from mailbot.domain import CHANGE_INTENTS, InboundStatus
from mailbot.errors import TransientError
from mailbot.intake.failures import record_quarantine, record_retry
from mailbot.intake.folders import folder_for
from mailbot.intake.store import load_raw, store_attachments
from mailbot.understand.addresses import own_addresses
from mailbot.understand.reading import Reading, Understanding, decide, read_message, to_json
from mailbot.understand.rules import RuleSet

log = logging.getLogger(__name__)

BOUNCE_SCAN = 1_000_000


@dataclass(frozen=True)
class Outcome:
    status: InboundStatus
    folder: str
    inbound_id: int = 0


def process_pending(app: App, now: datetime, rules: RuleSet, limit: int = 100) -> list[Outcome]:
    """Process up to ``limit`` RECEIVED messages, oldest first; stops early if the database is unusable."""
    with app.sessions() as session:
        ids = session.scalars(
            select(InboundMessage.id)
            .where(InboundMessage.status == InboundStatus.RECEIVED)
            .order_by(InboundMessage.id)
            .limit(limit)
        ).all()
    outcomes = []
    for inbound_id in ids:
        try:
            outcomes.append(process_inbound(app, inbound_id, now, rules))
        except (OperationalError, TransientError) as exc:
            log.error("inbound: database unusable, pending messages wait (%s)", type(exc).__name__)
            break
    return outcomes


def process_inbound(app: App, inbound_id: int, now: datetime, rules: RuleSet) -> Outcome:
    """Process one stored message behind the error boundary (see the module's docstring).

    Raises only when the database cannot even record the outcome (OperationalError)."""
    try:
        with transaction(app.sessions) as session:
            status = _process(session, app, inbound_id, now, rules)
    except (TransientError, OperationalError) as exc:
        return _retry_later(app, inbound_id, exc, now)
    except Exception as exc:
        return _quarantine(app, inbound_id, exc, now, traceback.format_exc())
    return Outcome(status, folder_for(app.config, status), inbound_id)


def process_many(
    app: App,
    inbound_ids: Sequence[int],
    now: datetime,
    rules: RuleSet,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    parsed: Mapping[int, tuple[bytes, Message]] | None = None,
    readings: Mapping[int, Reading] | None = None,
) -> list[Outcome]:
    """``process_inbound`` for a batch of stored messages, with the same outcomes, in ONE transaction.

    The rows are locked with one SELECT ... FOR UPDATE; every message is read first, and one that
    cannot be read is recorded beside the others: a temporary failure as one more attempt
    (quarantined at ``inbound.max_attempts``), anything else quarantined with a ticket. The others are
    matched together and acted on with no flush per message (``batch``). If the batch fails as a
    whole (acting on one of its messages, its COMMIT) nothing of it is kept and every message goes
    through ``process_inbound`` on its own, where a message that breaks costs only itself.
    ``should_stop`` ends the batch early (it is asked before each message is read): the messages not
    reached stay RECEIVED (their outcomes are missing from the answer).
    ``parsed`` maps an id to the bytes ``store_many`` stored and their parse (``StoreResult.parsed``),
    used only when the stored copy is those very bytes; ``readings`` likewise maps an id to the
    ``read_message`` of its stored bytes done ahead in the reading worker (``prereading``), used only
    when ``Reading.raw`` is the stored copy byte for byte.

    Raises only when the database cannot even record an outcome (OperationalError)."""
    if not inbound_ids:
        return []
    try:
        with transaction(app.sessions) as session:
            outcomes = _process_batch(session, app, inbound_ids, now, rules, should_stop, parsed or {}, readings or {})
    except Exception as exc:
        log.warning(
            "inbound: a batch of %d failed as a whole (%s: %s), one message at a time instead",
            len(inbound_ids),
            type(exc).__name__,
            exc,
        )
        outcomes = []
        for inbound_id in inbound_ids:
            if should_stop():
                break
            outcomes.append(process_inbound(app, inbound_id, now, rules))
    return outcomes


def _process_batch(
    session: Session,
    app: App,
    inbound_ids: Sequence[int],
    now: datetime,
    rules: RuleSet,
    should_stop: Callable[[], bool],
    parsed: Mapping[int, tuple[bytes, Message]],
    readings: Mapping[int, Reading],
) -> list[Outcome]:
    """Read every message (a failure quarantines that one, or counts an attempt), match them all with a
    few queries, decide each, load what the changes asked for will read, then act on each with
    autoflush off: tickets, audit events and attachments go in with one INSERT each when acting ends
    (``db.held``), the other rows at the COMMIT's flush, each table's together (see ``batch``). A
    failure while acting raises, and ``process_many`` redoes the batch one message at a time, where
    it is quarantined on its own."""
    # The session's identity map holds objects weakly: without this, the customer, orders and services
    # that several messages of the batch share were loaded again for each message.
    kept: list[object] = []
    event.listen(session, "loaded_as_persistent", lambda _session, instance: kept.append(instance))
    locked = session.scalars(
        select(InboundMessage)
        .where(InboundMessage.id.in_(set(inbound_ids)))
        .order_by(InboundMessage.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    rows = {row.id: row for row in locked}
    outcomes: list[Outcome | None] = []
    ready: list[tuple[int, InboundMessage, Reading, MatchKeys]] = []
    for inbound_id in inbound_ids:
        if should_stop():
            break
        inbound = rows.get(inbound_id)
        if inbound is None:  # as process_inbound: nothing to keep, the id named no message
            log.error("inbound id %s: quarantined, LookupError", inbound_id)
            outcomes.append(Outcome(InboundStatus.QUARANTINED, app.config.imap.quarantine_folder, inbound_id))
            continue
        if inbound.status != InboundStatus.RECEIVED:  # another process got there first
            outcomes.append(Outcome(inbound.status, folder_for(app.config, inbound.status), inbound_id))
            continue
        try:
            reading, keys = _read_row(app, inbound, parsed.get(inbound_id), readings.get(inbound_id))
        except (TransientError, OperationalError) as exc:
            status = record_retry(session, app.config, inbound, exc, now)
        except Exception as exc:
            status = record_quarantine(session, inbound, exc, now, traceback.format_exc())
        else:
            ready.append((len(outcomes), inbound, reading, keys))
            outcomes.append(None)
            continue
        outcomes.append(Outcome(status, folder_for(app.config, status), inbound_id))
    if ready:
        session.flush()  # the quarantine tickets above have their numbers before the batch takes its own
        batch = Batch(session)
        match_all = partial(find_matches, session, now=now, token_days=app.config.inbound.reply_token_days)
        matches = match_all([keys for *_, keys in ready])
        people = [r.kind == "human" for _, _, r, _ in ready]
        decided = [_decide(session, app, r, m, rules) for (_, _, r, _), m in zip(ready, matches, strict=True)]
        # What acting on the changes asked for will read of those customers, loaded at once.
        changing = [
            m.customer_id
            for m, u in zip(matches, decided, strict=True)
            if u.intent in CHANGE_INTENTS and u.reading.kind == "human" and m.customer_id is not None
        ]
        answered = [
            m.outbound_id
            for m, u in zip(matches, decided, strict=True)
            if u.intent in CHANGE_INTENTS and m.outbound_id is not None
        ]
        known = preload(session, changing, answered)
        held = held_rows(session, Ticket, AuditEvent, InboundAttachment)
        with session.no_autoflush, held, known_open_orders(session, known):
            undecided: list[Understanding | None] = list(decided)
            for n, (index, inbound, reading, _keys) in enumerate(ready):
                batch.people_left = sum(people[n:])
                if batch.rematch:  # a change applied (a customer's PEC) may change what the rest match
                    matches[n:] = match_all([keys for *_, keys in ready[n:]])
                    undecided[n:] = [None] * (len(ready) - n)
                    batch.rematch = False
                status = _act_row(session, app, inbound, reading, matches[n], now, rules, batch, undecided[n])
                outcomes[index] = Outcome(status, folder_for(app.config, status), inbound.id)
    return [o for o in outcomes if o is not None]


def _process(session: Session, app: App, inbound_id: int, now: datetime, rules: RuleSet) -> InboundStatus:
    inbound = session.get(InboundMessage, inbound_id, with_for_update=True, populate_existing=True)
    if inbound is None:
        raise LookupError(f"inbound message {inbound_id} not found")
    if inbound.status != InboundStatus.RECEIVED:  # another process got there first
        return inbound.status
    reading, keys = _read_row(app, inbound)
    match = find_match(session, keys, now=now, token_days=app.config.inbound.reply_token_days)
    return _act_row(session, app, inbound, reading, match, now, rules)


def _read_row(
    app: App, inbound: InboundMessage, parsed: tuple[bytes, Message] | None = None, ahead: Reading | None = None
) -> tuple[Reading, MatchKeys]:
    """Read the stored message (no database work): what it says, and what it can be matched by."""
    config = app.config
    raw = load_raw(inbound)
    if ahead is not None and ahead.raw == raw:  # read ahead from these very bytes, as below
        reading = ahead
    else:
        message = parsed[1] if parsed is not None and parsed[0] == raw else None  # the parse of these bytes only
        # The stored raw was redacted by store_raw, which also recorded whether it found a card number.
        reading = read_message(raw, own_addresses=own_addresses(config), redacted=True, parsed=message)
    if inbound.card_number_detected and not reading.card_number_detected:
        reading = replace(reading, card_number_detected=True)
    bounce_text = _bounce_text(reading) if reading.kind == "bounce" else ""
    keys = match_keys(
        reading.message,
        reading.new_text,
        reply_to=config.mail.reply_to,
        message_id_domain=config.mail.message_id_domain,
        bounce_text=bounce_text,
    )
    if reading.kind == "human":  # DKIM (DNS look-ups) only where a token could make the sender verified
        auth = authenticate_sender(
            reading.message, raw, config.inbound, dkim_wanted=bool(keys.tokens), dns=app.dkim_dns
        )
        keys = replace(keys, sender_auth=auth)
    return reading, keys


def _act_row(
    session: Session,
    app: App,
    inbound: InboundMessage,
    reading: Reading,
    match: Match,
    now: datetime,
    rules: RuleSet,
    batch: Batch | None = None,
    decided: Understanding | None = None,
) -> InboundStatus:
    """Decide with the matched customer's kind (unless ``decided`` for this match already), store the
    attachments, act, and record it all on the row."""
    config = app.config
    u = decided if decided is not None else _decide(session, app, reading, match, rules)
    if reading.card_number_detected:  # the actions read it on the row (never automatic with a card number)
        inbound.card_number_detected = True
    store_attachments(session, inbound.id, reading.message.attachments, config.inbound.max_attachment_bytes)
    result = act(session, app, inbound, u, match, now, batch)
    # Recorded after acting, which reads none of it: the row is then written once, not also at the
    # actions' first flush.
    record_understanding(inbound, u, match)
    inbound.understanding = {**inbound.understanding, "actions": _result_json(result)}
    inbound.status = result.status
    inbound.processed_at = now
    for key in _WRITTEN:  # each one, even unchanged: see _WRITTEN
        flag_modified(inbound, key)
    log.info(
        "inbound id %s (%s): %s %s via %s -> %s",
        inbound.id,
        inbound.message_id,
        u.reading.kind,
        u.intent,
        match.method or "no match",
        result.status.value,
    )
    return InboundStatus(result.status)


# What processing writes on a message's row. The flush sends one UPDATE per run of rows (in id order)
# that changed the same columns, and only changed ones count: a batch mixing matched and unmatched
# senders, new and unchanged subjects, made thousands of single-row UPDATEs where one executemany
# does. Every processed row is written with all of them.
_WRITTEN = (
    "understanding",
    "status",
    "processed_at",
    "kind",
    "intent",
    "sender",
    "subject",
    "customer_id",
    "order_id",
    "outbound_id",
    "match_method",
    "verified_sender",
    "card_number_detected",
)


def _decide(session: Session, app: App, reading: Reading, match: Match, rules: RuleSet) -> Understanding:
    customer = session.get(Customer, match.customer_id) if match.customer_id is not None else None
    return decide(
        reading,
        rules,
        customer_kind=customer.kind.value if customer is not None else None,
        review_threshold=app.config.inbound.review_threshold,
    )


def _bounce_text(reading: Reading) -> str:
    """Where a bounce quotes our Message-ID: its text, and the raw parts the text leaves out (a DSN's
    ``text/rfc822-headers`` or ``message/rfc822`` copy of our email), within the first ``BOUNCE_SCAN`` bytes."""
    return reading.message.text + "\n" + reading.raw[:BOUNCE_SCAN].decode("utf-8", "replace")


def record_understanding(inbound: InboundMessage, u: Understanding, match: Match) -> None:
    """What was understood and matched, on the message row, for staff and for the actions."""
    msg = u.reading.message
    # store_raw redacts before writing, so the stored copy no longer shows a card number: keep what it found.
    card_found = inbound.card_number_detected or u.reading.card_number_detected
    inbound.understanding = {
        **to_json(u, f"inbound/{inbound.id}"),
        "card_number_detected": card_found,
        "card_number_kept": u.reading.card_number_kept,
        "rule": u.rule,
        "confidence": u.confidence,
        "review_reasons": list(u.review_reasons),
        "kind_reasons": list(u.reading.kind_reasons),
        "defects": list(msg.defects),
        "match": match.details(),
    }
    inbound.kind = u.reading.kind
    inbound.intent = u.intent
    inbound.sender = (msg.from_address or inbound.sender or "")[:320] or None
    inbound.subject = msg.subject or inbound.subject
    inbound.customer_id = match.customer_id
    inbound.order_id = match.order_id
    inbound.outbound_id = match.outbound_id
    inbound.match_method = match.method
    inbound.verified_sender = match.verified
    inbound.card_number_detected = card_found


def _result_json(result: ActionResult) -> dict[str, Any]:
    return {
        "status": result.status.value,
        "ticket_ids": list(result.ticket_ids),
        "replies": int(result.replies),
        "notes": [str(n) for n in result.notes],
    }


def _retry_later(app: App, inbound_id: int, exc: BaseException, now: datetime) -> Outcome:
    with transaction(app.sessions) as session:
        inbound = session.get(InboundMessage, inbound_id, with_for_update=True, populate_existing=True)
        if inbound is None:
            return Outcome(InboundStatus.RECEIVED, folder_for(app.config, InboundStatus.RECEIVED), inbound_id)
        status = record_retry(session, app.config, inbound, exc, now)
    return Outcome(status, folder_for(app.config, status), inbound_id)


def _quarantine(app: App, inbound_id: int, exc: BaseException, now: datetime, trace: str) -> Outcome:
    """Record the quarantine; if even that fails (not for the database's sake), record it again without
    the error's text, which may hold what broke the message: a message is never left to be retried for ever."""
    try:
        return _record_quarantine(app, inbound_id, exc, now, trace, plain=False)
    except OperationalError:
        raise
    except Exception as again:
        log.error(
            "inbound id %s: recording its quarantine failed (%s: %r); recorded without the error's text",
            inbound_id,
            type(again).__name__,
            str(again)[:300],
        )
        return _record_quarantine(app, inbound_id, exc, now, trace, plain=True)


def _record_quarantine(
    app: App, inbound_id: int, exc: BaseException, now: datetime, trace: str, *, plain: bool
) -> Outcome:
    with transaction(app.sessions) as session:
        inbound = session.get(InboundMessage, inbound_id, with_for_update=True, populate_existing=True)
        if inbound is None:  # nothing to keep: the id named no message
            log.error("inbound id %s: quarantined, %s", inbound_id, type(exc).__name__)
            return Outcome(InboundStatus.QUARANTINED, app.config.imap.quarantine_folder, inbound_id)
        record_quarantine(session, inbound, exc, now, trace, plain=plain)
    return Outcome(InboundStatus.QUARANTINED, app.config.imap.quarantine_folder, inbound_id)
