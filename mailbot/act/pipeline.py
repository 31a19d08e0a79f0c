"""The inbound orchestrator and its error boundary: one stored message in, one status out.

``process_inbound`` (one message) and ``process_many`` (a batch) run the same steps on messages already
stored by ``intake.store``: read the stored raw, understand it, match it, load what deciding reads
(``load``), decide what to do (``decide``: a pure function returning a ``plan.Plan``) and hand the plan
to the one writer (``write.Writer``), which also records the understanding and the status on the row.
All of it in ONE transaction, so a failure leaves nothing half done. The boundary rolls it back and
records the failure in a fresh transaction (``failures``):
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
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import Message
from typing import Any, TypeAlias

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from mailbot.act.decide import MessageFacts, Situation, decide
from mailbot.act.load import Loader
from mailbot.act.matching import find_matches, match_keys
from mailbot.act.plan import Plan
from mailbot.act.sender_auth import authenticate_sender
from mailbot.act.views import Match, MatchKeys
from mailbot.act.write import Done, Source, Writer
from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.db.models import InboundMessage
from mailbot.domain import InboundStatus, SenderKind
from mailbot.errors import TransientError
from mailbot.intake.failures import record_quarantine, record_retry
from mailbot.intake.folders import folder_for
from mailbot.intake.store import load_raw
from mailbot.text import visible
from mailbot.understand.addresses import own_addresses
from mailbot.understand.reading import Reading, Understanding, read_message, to_json
from mailbot.understand.reading import decide as decide_understanding
from mailbot.understand.rules import RuleSet

log = logging.getLogger(__name__)

BOUNCE_SCAN = 1_000_000


@dataclass(frozen=True)
class Outcome:
    status: InboundStatus
    folder: str
    inbound_id: int = 0


# What an intake already did with the bytes it stored, to spare doing it again: their parse
# (``StoreResult.parsed``: the bytes and their ``Message``) or their whole reading (``read_message``).
AlreadyRead: TypeAlias = Reading | tuple[bytes, Message]


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
    """Process one stored message behind the error boundary (see the module's docstring): the batch
    path for a batch of one, where a failure while acting costs only this message.

    Raises only when the database cannot even record the outcome (OperationalError)."""
    try:
        with transaction(app.sessions) as session:
            outcomes = _process_rows(session, app, now, rules, _Batch((inbound_id,)))
    except (TransientError, OperationalError) as exc:
        return _retry_later(app, inbound_id, exc, now)
    except Exception as exc:
        return _quarantine(app, inbound_id, exc, now, traceback.format_exc())
    return outcomes[0]


def process_many(
    app: App,
    inbound_ids: Sequence[int],
    now: datetime,
    rules: RuleSet,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    already: Mapping[int, AlreadyRead] | None = None,
) -> list[Outcome]:
    """``process_inbound`` for a batch of stored messages, with the same outcomes, in ONE transaction.

    The rows are locked with one SELECT ... FOR UPDATE; every message is read first, and one that
    cannot be read is recorded beside the others: a temporary failure as one more attempt
    (quarantined at ``inbound.max_attempts``), anything else quarantined with a ticket. The others are
    matched together, decided one by one and written by one ``Writer``. If the batch fails as a
    whole (acting on one of its messages, its COMMIT) nothing of it is kept and every message goes
    through ``process_inbound`` on its own, where a message that breaks costs only itself.
    ``should_stop`` ends the batch early (it is asked before each message is read): the messages not
    reached stay RECEIVED (their outcomes are missing from the answer).
    ``already`` maps an id to what the intake already did with the bytes it stored: their parse
    (``StoreResult.parsed``) or their whole ``read_message`` (by the reading worker of
    ``intake.imap.overlap``), used only when those bytes are the stored copy byte for byte.

    Raises only when the database cannot even record an outcome (OperationalError)."""
    if not inbound_ids:
        return []
    try:
        with transaction(app.sessions) as session:
            batch = _Batch(tuple(inbound_ids), should_stop, already or {})
            outcomes = _process_rows(session, app, now, rules, batch)
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


@dataclass(frozen=True)
class _Ready:
    """A message read, waiting to be matched and acted on."""

    index: int  # its place in the outcomes
    row: InboundMessage
    reading: Reading
    keys: MatchKeys


@dataclass(frozen=True)
class _Batch:
    """The stored messages to process together, and what the intake already did with them."""

    ids: tuple[int, ...]
    should_stop: Callable[[], bool] = lambda: False
    already: Mapping[int, AlreadyRead] = field(default_factory=dict)


def _process_rows(session: Session, app: App, now: datetime, rules: RuleSet, batch: _Batch) -> list[Outcome]:
    """Read every message (a failure quarantines that one, or counts an attempt), match them all with a
    few queries, load what deciding reads (``load``), decide each (``decide``, pure) and hand the plan
    to the writer; the writer writes what is left at the end (``write``). A change that matching reads
    (a customer's PEC) has the rest of the batch matched again."""
    inbound_ids, already = batch.ids, batch.already
    locked = session.scalars(
        select(InboundMessage)
        .where(InboundMessage.id.in_(set(inbound_ids)))
        .order_by(InboundMessage.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    rows = {row.id: row for row in locked}
    outcomes: list[Outcome | None] = []
    ready: list[_Ready] = []
    for inbound_id in inbound_ids:
        if batch.should_stop():
            break
        inbound = rows.get(inbound_id)
        if inbound is None:  # nothing to keep: the id named no message
            log.error("inbound id %s: quarantined, LookupError", inbound_id)
            outcomes.append(Outcome(InboundStatus.QUARANTINED, app.config.imap.quarantine_folder, inbound_id))
            continue
        if inbound.status != InboundStatus.RECEIVED:  # another process got there first
            outcomes.append(Outcome(inbound.status, folder_for(app.config, inbound.status), inbound_id))
            continue
        try:
            reading, keys = _read_row(app, inbound, already.get(inbound_id))
        except (TransientError, OperationalError) as exc:
            status = record_retry(session, app.config, inbound, exc, now)
        except Exception as exc:
            status = record_quarantine(session, inbound, exc, now, traceback.format_exc())
        else:
            ready.append(_Ready(len(outcomes), inbound, reading, keys))
            outcomes.append(None)
            continue
        outcomes.append(Outcome(status, folder_for(app.config, status), inbound_id))
    if ready:
        session.flush()  # the quarantines above are written before the batch's own rows
        token_days = app.config.inbound.reply_token_days
        matches = find_matches(session, [r.keys for r in ready], now=now, token_days=token_days)
        loader = Loader(session)
        loader.load(matches)
        writer = Writer(session, app, now, loader)
        done = []
        for n, item in enumerate(ready):
            plan, understanding = _decide(app, loader, item, matches[n], rules, now)
            done.append(_write(writer, item, understanding, matches[n], plan))
            if plan.changes_matching and n + 1 < len(ready):  # a change applied may change what the rest match
                matches[n + 1 :] = find_matches(
                    session, [r.keys for r in ready[n + 1 :]], now=now, token_days=token_days
                )
                loader.load(matches[n + 1 :])
        writer.finish()
        for item, result, match in zip(ready, done, matches, strict=True):
            status = result.status
            _log_outcome(item.row, result, match)
            outcomes[item.index] = Outcome(status, folder_for(app.config, status), item.row.id)
    return [o for o in outcomes if o is not None]


def _decide(
    app: App, loader: Loader, item: _Ready, match: Match, rules: RuleSet, now: datetime
) -> tuple[Plan, Understanding]:
    """The understanding with the matched customer's kind, and the plan for it (pure, from values)."""
    snapshot = loader.snapshot(match)
    kind = snapshot.customer.kind.value if snapshot.customer is not None else None
    understanding = decide_understanding(
        item.reading, rules, customer_kind=kind, review_threshold=app.config.inbound.review_threshold
    )
    row = item.row
    facts = MessageFacts(row.id, row.message_id, row.sender, bool(row.card_number_detected))
    return decide(Situation(understanding, match, snapshot, facts, app.config, now)), understanding


def _write(writer: Writer, item: _Ready, understanding: Understanding, match: Match, plan: Plan) -> Done:
    row = item.row
    source = Source(row.id, row.message_id, row.sender, row.received_at, bool(row.card_number_detected))
    columns = understanding_columns(row, understanding, match, writer.now)
    return writer.apply(source, understanding, plan, customer_id=match.customer_id, row=columns)


def _log_outcome(row: InboundMessage, done: Done, match: Match) -> None:
    log.info(
        "inbound id %s (%s): %s %s via %s -> %s",
        row.id,
        row.message_id,
        row.kind,
        row.intent,
        match.method or "no match",
        done.status.value,
    )
    for note in done.notes:  # a reply that does not go says why, whatever the reason
        if note.startswith("no reply"):
            log.info("inbound id %s: %s", row.id, visible(note))


def _read_row(app: App, inbound: InboundMessage, already: AlreadyRead | None = None) -> tuple[Reading, MatchKeys]:
    """Read the stored message (no database work): what it says, and what it can be matched by."""
    config = app.config
    raw = load_raw(inbound)
    if isinstance(already, Reading) and already.raw == raw:  # read ahead from these very bytes, as below
        reading = already
    else:
        # The parse of these very bytes only.
        message = already[1] if isinstance(already, tuple) and already[0] == raw else None
        # The stored raw was redacted by store_raw, which also recorded whether it found a card number.
        reading = read_message(raw, own_addresses=own_addresses(config), redacted=True, parsed=message)
    if inbound.card_number_detected and not reading.card_number_detected:
        reading = replace(reading, card_number_detected=True)
    bounce_text = _bounce_text(reading) if reading.kind == SenderKind.BOUNCE else ""
    keys = match_keys(
        reading.message,
        reading.new_text,
        reply_to=config.mail.reply_to,
        message_id_domain=config.mail.message_id_domain,
        bounce_text=bounce_text,
    )
    if reading.kind == SenderKind.HUMAN:  # DKIM (DNS look-ups) only where a token could make the sender verified
        auth = authenticate_sender(
            reading.message, raw, config.inbound, dkim_wanted=bool(keys.tokens), dns=app.dkim_dns
        )
        keys = replace(keys, sender_auth=auth)
    return reading, keys


def _bounce_text(reading: Reading) -> str:
    """Where a bounce quotes our Message-ID: its text, and the raw parts the text leaves out (a DSN's
    ``text/rfc822-headers`` or ``message/rfc822`` copy of our email), within the first ``BOUNCE_SCAN`` bytes."""
    return reading.message.text + "\n" + reading.raw[:BOUNCE_SCAN].decode("utf-8", "replace")


def understanding_columns(
    inbound: InboundMessage, understanding: Understanding, match: Match, now: datetime
) -> dict[str, Any]:
    """What was understood and matched, as the message's row will hold it (the writer adds the actions
    and the status)."""
    msg = understanding.reading.message
    # store_raw redacts before writing, so the stored copy no longer shows a card number: keep what it found.
    card_found = bool(inbound.card_number_detected or understanding.reading.card_number_detected)
    stored = {
        **to_json(understanding, f"inbound/{inbound.id}"),
        "card_number_detected": card_found,
        "card_number_kept": understanding.reading.card_number_kept,
        "rule": understanding.rule,
        "confidence": understanding.confidence,
        "review_reasons": list(understanding.review_reasons),
        "kind_reasons": list(understanding.reading.kind_reasons),
        "defects": list(msg.defects),
        "match": match.details(),
    }
    return {
        "id": inbound.id,
        "understanding": stored,
        "processed_at": now,
        "kind": understanding.reading.kind,
        "intent": understanding.intent,
        "sender": (msg.from_address or inbound.sender or "")[:320] or None,
        "subject": msg.subject or inbound.subject,
        "customer_id": match.customer_id,
        "order_id": match.order_id,
        "outbound_id": match.outbound_id,
        "match_method": match.method,
        "verified_sender": match.verified,
        "card_number_detected": card_found,
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
