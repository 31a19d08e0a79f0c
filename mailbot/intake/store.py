"""Storing a received message before anything else happens to it: redacted, compressed, stored once.

``store_raw`` is what every intake (IMAP, Maildir, ``mailbot ingest``) calls first. Card numbers are
masked in the raw bytes before anything is written, so the stored copy never holds card data; the
redacted bytes are zlib-compressed with their SHA-256. The message is identified by its normalised
Message-ID, or by ``sha256:`` + a hash of its headers when it has none, under a unique constraint: the
same message fetched twice (after a crash between commit and move, or from two intakes, or by two
processes at once) is stored once and the second call answers ``duplicate=True``.

A message over ``inbound.max_message_bytes`` is stored all the same, quarantined with a support ticket
and never parsed. A message whose row the database refuses (for a reason of its own: the database is
not down) is stored all the same by its bytes alone, quarantined with a ticket (``_store_unstorable``),
so that no single message stops an intake. The caller commits; only after the commit may the message be
acknowledged or moved on the server.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import Message
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from mailbot.act.tickets_open import open_quarantine_ticket
from mailbot.config import Config
from mailbot.db.models import InboundMessage
from mailbot.domain import InboundStatus
from mailbot.errors import first_line
from mailbot.intake.prepare import Prepared, prepare_raw

log = logging.getLogger(__name__)

# A batch's new rows in one statement (a multi-row INSERT, or one executemany on SQLite, where
# RETURNING in the order given would cost an INSERT per row); their ids read back by key.
_INSERT = insert(InboundMessage)
# The key of a message whose own row the database refused, kept all the same (``_store_unstorable``).
UNSTORABLE_PREFIX = "unstorable-sha256:"
_IDS_BY_KEY = select(InboundMessage.dedup_key, InboundMessage.id).where(
    InboundMessage.dedup_key.in_(bindparam("keys", expanding=True))
)


@dataclass(frozen=True)
class StoreResult:
    inbound_id: int
    duplicate: bool
    status: InboundStatus
    # A new row's stored (redacted) bytes and their parse, when the redaction had one to spare (see
    # ``pipeline.process_many``): the caller may hand it on instead of parsing the stored copy again.
    parsed: tuple[bytes, Message] | None = field(default=None, compare=False, repr=False)
    # The redacted bytes when card numbers were masked in the bytes given (a copy or not): what an intake
    # leaves in place of the original wherever it keeps the message (the Maildir's sub-folders).
    redacted: bytes | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Origin:
    """Where a message came in: the intake (``source``) and, from IMAP, the mailbox, its UIDVALIDITY and
    the message's UID there."""

    source: str
    mailbox: str | None = None
    uidvalidity: int | None = None
    uid: int | None = None


def store_raw(session: Session, raw: bytes, origin: Origin, *, now: datetime, config: Config) -> StoreResult:
    """Store ``raw`` (redacted) once, as come in from ``origin``; a message already stored answers its row
    with ``duplicate=True``.

    Never raises on a duplicate, even one inserted concurrently by another process. The caller commits.
    """
    return _store_prepared(session, prepare_raw(raw), origin, now, config)


def store_many(
    session: Session,
    items: Sequence[tuple[int | None, bytes]],
    origin: Origin,
    *,
    now: datetime,
    config: Config,
    ready: Sequence[Prepared | None] | None = None,
) -> list[StoreResult]:
    """``store_raw`` for a batch of ``(uid, raw)`` come in from ``origin`` (its mailbox, each its own
    UID): one look-up of the stored keys and one INSERT.

    Same answers as storing them one at a time, in order (a message given twice is a duplicate of its
    first copy). If the flush meets the unique constraint (another process stored one of them since the
    look-up) the batch's rows are rolled back to their SAVEPOINT and stored one at a time. The caller commits.
    ``ready``, in the order of ``items``, is each raw already through ``prepare_raw`` (by the reading-ahead
    worker, ``imap.overlap``), stored as it is; None where it is not (prepared here).
    """
    if ready is not None and len(ready) != len(items):
        raise ValueError(f"store_many: {len(ready)} prepared for {len(items)} messages")
    prepared = [
        p if ready is not None and (p := ready[i]) is not None and p.size == len(raw) else prepare_raw(raw)
        for i, (_uid, raw) in enumerate(items)
    ]
    stored: dict[str, tuple[int, InboundStatus]] = {}
    keys = sorted({p.key for p in prepared})
    for start in range(0, len(keys), 500):
        found = session.execute(
            select(InboundMessage.dedup_key, InboundMessage.id, InboundMessage.status).where(
                InboundMessage.dedup_key.in_(keys[start : start + 500])
            )
        )
        stored.update({str(key): (int(row_id), InboundStatus(status)) for key, row_id, status in found})
    values: dict[str, dict[str, Any]] = {}
    for (uid, _raw), p in zip(items, prepared, strict=True):
        if p.key not in stored and p.key not in values:
            values[p.key] = _row_values(p, replace(origin, uid=uid), now, config)
    new_ids: dict[str, int] = {}
    if values:
        try:
            with session.begin_nested():
                session.execute(_INSERT, list(values.values()))
                keys_in = list(values)
                inserted = [
                    row
                    for start in range(0, len(keys_in), 500)
                    for row in session.execute(_IDS_BY_KEY, {"keys": keys_in[start : start + 500]})
                ]
        except OperationalError:  # the database, not a message: the caller retries later
            raise
        except Exception as exc:  # a concurrent copy (IntegrityError), or one message the database refused
            why = "met a concurrent copy" if isinstance(exc, IntegrityError) else f"was refused ({type(exc).__name__})"
            log.info("inbound: a batch of %d %s, storing one at a time", len(values), why)
            return [
                _store_prepared(session, p, replace(origin, uid=uid), now, config)
                for (uid, _raw), p in zip(items, prepared, strict=True)
            ]
        new_ids = {str(key): int(row_id) for key, row_id in inserted}
    results: list[StoreResult] = []
    for p in prepared:
        if p.key in stored:
            row_id, status = stored[p.key]
            results.append(StoreResult(row_id, True, status, redacted=p.replacement))
            continue
        row_id, status = new_ids[p.key], values[p.key]["status"]
        parsed = (p.redacted, p.parsed) if p.parsed is not None else None
        results.append(StoreResult(row_id, False, status, parsed, p.replacement))
        stored[p.key] = (row_id, status)  # a second copy in the batch is a duplicate of this one
        _stored(session, row_id, p.key, status, origin.source, now)
    return results


def _store_prepared(session: Session, p: Prepared, origin: Origin, now: datetime, config: Config) -> StoreResult:
    existing = _find(session, p.key)
    if existing is not None:
        return StoreResult(existing.id, True, existing.status, redacted=p.replacement)
    values = _row_values(p, origin, now, config)
    try:
        row = _insert(session, values)
    except OperationalError:  # the database, not the message: the caller retries later
        raise
    except Exception as exc:
        # Another process stored the same message between our look-up and our insert?
        existing = _find(session, p.key) if isinstance(exc, IntegrityError) else None
        if existing is not None:
            log.info("inbound %s: concurrent duplicate of id %s", p.key, existing.id)
            return StoreResult(existing.id, True, existing.status, redacted=p.replacement)
        return _store_unstorable(session, p, exc, values)
    _stored(session, row.id, row.dedup_key, row.status, origin.source, now)
    return StoreResult(row.id, False, row.status, redacted=p.replacement)


def _insert(session: Session, values: dict[str, Any]) -> InboundMessage:
    row = InboundMessage(**values)
    with session.begin_nested():
        session.add(row)
        session.flush()
    return row


def _store_unstorable(session: Session, p: Prepared, exc: Exception, values: dict[str, Any]) -> StoreResult:
    """The database refused a message's row for a reason of its own: keep its (redacted) bytes all the same,
    under a key made of them alone, with nothing read from its headers, QUARANTINED with a ticket, so that
    one message never stops the intake behind it. Raises when even that row cannot go in (then the
    database is at fault, and the caller retries later)."""
    key = UNSTORABLE_PREFIX + p.sha256
    existing = _find(session, key)
    if existing is not None:
        return StoreResult(existing.id, True, existing.status, redacted=p.replacement)
    # The error's name only: its text may hold the very value the database refused (it is in the log).
    reason = f"could not be stored as it is ({type(exc).__name__}: see the log)"
    log.error(
        "inbound %r: could not be stored as it is (%s: %r); kept quarantined under %s",
        p.key,
        type(exc).__name__,
        first_line(exc)[:300],
        key,
    )
    values = {
        **values,
        "dedup_key": key,
        "message_id": None,
        "sender": None,
        "subject": None,
        "status": InboundStatus.QUARANTINED,
        "error": reason,
        "processed_at": values["received_at"],
    }
    row = _insert(session, values)
    _stored(session, row.id, key, row.status, values["source"], values["received_at"])
    return StoreResult(row.id, False, row.status, redacted=p.replacement)


def _row_values(p: Prepared, origin: Origin, now: datetime, config: Config) -> dict[str, Any]:
    """The columns of a new row for ``p`` (quarantined at once when too large)."""
    too_large = p.size > config.inbound.max_message_bytes
    return {
        "dedup_key": p.key,
        "message_id": p.envelope.message_id[:998] if p.envelope.message_id else None,
        "sha256": p.sha256,
        "raw_compressed": p.compressed,
        "size": len(p.redacted),
        "source": origin.source,
        "mailbox": origin.mailbox,
        "uidvalidity": origin.uidvalidity,
        "uid": origin.uid,
        "received_at": now,
        "status": InboundStatus.QUARANTINED if too_large else InboundStatus.RECEIVED,
        "sender": p.envelope.sender,
        "subject": p.envelope.subject,
        "card_number_detected": p.card_found,
        "error": f"too large: {p.size} bytes" if too_large else None,
        "processed_at": now if too_large else None,
    }


def _stored(session: Session, row_id: int, key: str, status: InboundStatus, source: str, now: datetime) -> None:
    """A new row is in: a too-large one (stored quarantined) gets its quarantine ticket."""
    if status == InboundStatus.QUARANTINED:
        row = session.get_one(InboundMessage, row_id)
        open_quarantine_ticket(session, row, f"message could not be processed: {row.error}", now)
        log.warning("inbound id %s (%s): quarantined, %s", row_id, key, row.error)
    else:
        log.info("inbound id %s stored (%s, %s)", row_id, key, source)


def load_raw(inbound: InboundMessage) -> bytes:
    """The stored (redacted) raw message."""
    return zlib.decompress(inbound.raw_compressed)


def _find(session: Session, key: str) -> InboundMessage | None:
    return session.scalars(select(InboundMessage).where(InboundMessage.dedup_key == key)).first()
