"""The transactional outbox: jobs insert rows here, the sender drains them.

``enqueue`` is the only way an email enters the system. It fixes the Message-ID and the reply
token when the row is created (so replies can be matched later) and relies on the unique
idempotency key: inserting the same logical email twice, from the same or another process,
inserts nothing the second time.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailbot.config import MailConfig
from mailbot.db.models import Customer, OutboundMessage, ReminderClaim
from mailbot.domain import OutboundStatus
from mailbot.outbound.render import RenderedEmail


@dataclass(frozen=True)
class NewMessage:
    idempotency_key: str
    template: str
    language: str
    to_address: str
    rendered: RenderedEmail
    reason: str = ""
    customer_id: int | None = None
    order_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Claim:
    """A reminder step this message carries: (service, expiry cycle, step)."""

    service_id: int
    cycle: date
    step: str


def new_message_id(domain: str) -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


def new_reply_token() -> str:
    """20 lowercase base32 characters (100 bits): safe in the local part of any address."""
    return base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower()


def reply_address(mail: MailConfig, token: str) -> str:
    return mail.reply_to.replace("{token}", token)


def enqueue(
    session: Session,
    message: NewMessage,
    *,
    mail: MailConfig,
    now: datetime,
    claims: Iterable[Claim] = (),
) -> OutboundMessage | None:
    """Insert ``message`` (and its reminder claims) unless its key or a claim exists already.

    Runs in a SAVEPOINT: a duplicate rolls back only this message, never the caller's transaction.
    Returns the new row, or None when the email was already in the outbox.
    """
    if _enqueued(session, message.idempotency_key):
        return None
    row = OutboundMessage(**_row_values(message, mail, now))
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
            for claim in claims:
                session.add(
                    ReminderClaim(
                        service_id=claim.service_id,
                        cycle=claim.cycle,
                        step=claim.step,
                        outbound_id=row.id,
                        created_at=now,
                    )
                )
            session.flush()
    except IntegrityError:
        return None
    return row


def enqueue_many(
    session: Session,
    messages: Sequence[tuple[NewMessage, Sequence[Claim]]],
    *,
    mail: MailConfig,
    now: datetime,
) -> list[int | None]:
    """``enqueue`` for many messages (each with its claims) at once: the id of each row inserted, None
    where the message was in the outbox already.

    One SELECT finds the keys already in the outbox; the others go in with one multi-row INSERT
    (and one for their claims) per chunk, inside a SAVEPOINT. If a chunk meets a unique constraint
    (a concurrent sweep inserted one of its emails or claims in the meantime) only the chunk is
    rolled back and its messages are enqueued one by one, so each duplicate is skipped on its own.
    """
    inserted: list[int | None] = [None] * len(messages)
    seen: set[str] = set()
    for start in range(0, len(messages), 500):
        part = range(start, min(start + 500, len(messages)))
        keys = [messages[i][0].idempotency_key for i in part]
        seen.update(
            session.scalars(select(OutboundMessage.idempotency_key).where(OutboundMessage.idempotency_key.in_(keys)))
        )
        todo = []
        for i in part:
            key = messages[i][0].idempotency_key
            if key not in seen:  # also a key given twice in ``messages``: the first one counts
                seen.add(key)
                todo.append(i)
        if not todo:
            continue
        try:
            with session.begin_nested():
                # Paired by key, not by the order of RETURNING: asking for that order makes SQLite
                # insert one row per statement.
                returned = session.execute(
                    insert(OutboundMessage).returning(OutboundMessage.idempotency_key, OutboundMessage.id),
                    [_row_values(messages[i][0], mail, now) for i in todo],
                )
                by_key = {key: row_id for key, row_id in returned}
                ids = [by_key[messages[i][0].idempotency_key] for i in todo]
                claims = [
                    {
                        "service_id": c.service_id,
                        "cycle": c.cycle,
                        "step": c.step,
                        "outbound_id": row_id,
                        "created_at": now,
                    }
                    for i, row_id in zip(todo, ids, strict=True)
                    for c in messages[i][1]
                ]
                if claims:
                    session.execute(insert(ReminderClaim), claims)
        except IntegrityError:
            for i in todo:
                message, message_claims = messages[i]
                row = enqueue(session, message, mail=mail, now=now, claims=message_claims)
                inserted[i] = row.id if row is not None else None
            continue
        for i, row_id in zip(todo, ids, strict=True):
            inserted[i] = row_id
    return inserted


_BY_KEY = select(OutboundMessage.id).where(OutboundMessage.idempotency_key == bindparam("key"))


def _enqueued(session: Session, key: str) -> bool:
    """An email under this idempotency key is in the outbox already (as far as this session sees)."""
    return session.scalar(_BY_KEY, {"key": key}) is not None


def _row_values(message: NewMessage, mail: MailConfig, now: datetime) -> dict[str, Any]:
    """The columns of a new outbox row: Message-ID and reply token fixed here, due at once."""
    return {
        "idempotency_key": message.idempotency_key,
        "customer_id": message.customer_id,
        "order_id": message.order_id,
        "template": message.template,
        "language": message.language,
        "reason": message.reason,
        "to_address": message.to_address,
        "subject": message.rendered.subject,
        "body_text": message.rendered.text,
        "body_html": message.rendered.html,
        "message_id": new_message_id(mail.message_id_domain),
        "reply_token": new_reply_token(),
        "details": message.details,
        "status": OutboundStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


# Claiming and finishing rows: used by the drain (mailbot/outbound/drain.py).


@dataclass(frozen=True)
class ClaimedBatch:
    """Rows one drainer holds: status ``sending``, ``claim_token == token``, leased until ``lease_until``."""

    token: str
    lease_until: datetime
    rows: tuple[OutboundMessage, ...]
    recovered: int = 0  # taken over from a drainer whose lease expired (it died mid-send)
    cancelled: int = 0  # not sent: the customer's address is undeliverable
    abandoned: int = 0  # failed: the last allowed attempt was interrupted (lease expired)


def is_due(now: datetime) -> ColumnElement[bool]:
    """Pending and due, or ``sending`` under an expired lease."""
    return or_(
        and_(OutboundMessage.status == OutboundStatus.PENDING, OutboundMessage.next_attempt_at <= now),
        and_(OutboundMessage.status == OutboundStatus.SENDING, OutboundMessage.lease_until < now),
    )


def claim_due(session: Session, *, now: datetime, lease_seconds: float, limit: int, max_attempts: int) -> ClaimedBatch:
    """Claim up to ``limit`` due rows, oldest first, for one drainer (a fresh random token).

    Rows are taken by UPDATEs guarded by ``is_due`` (one per kind of change, over the candidates'
    ids): a row another drainer took meanwhile is no longer due, updates nothing and is skipped,
    so two drainers never hold the same row; the rows returned are those now holding our token. On
    PostgreSQL the candidate list also skips rows locked by a concurrent claim (SQLite ignores
    FOR UPDATE; its writers are serialised by BEGIN IMMEDIATE). Rows of a customer whose address
    is undeliverable are cancelled instead, with the reason in ``last_error``. Claiming counts
    the attempt, so a message that kills the sender every time still stops at ``max_attempts``.
    """
    token = uuid.uuid4().hex
    lease_until = now + timedelta(seconds=lease_seconds)
    candidates = session.execute(
        select(
            OutboundMessage.id,
            OutboundMessage.status,
            OutboundMessage.attempts,
            Customer.email_undeliverable,
            Customer.undeliverable_reason,
        )
        .outerjoin(Customer, Customer.id == OutboundMessage.customer_id)
        .where(is_due(now))
        .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboundMessage)
    ).all()
    groups: dict[tuple[str, str | None], list[int]] = defaultdict(list)  # (kind, last_error) -> ids
    for row_id, status, attempts, undeliverable, reason in candidates:
        if undeliverable:
            groups[("cancelled", f"not sent: address undeliverable ({reason or '-'})")].append(row_id)
        elif status == OutboundStatus.SENDING and attempts >= max_attempts:
            gave_up = f"gave up after {attempts} attempts: the last one was interrupted (lease expired)"
            groups[("abandoned", gave_up)].append(row_id)
        else:
            groups[("recovered" if status == OutboundStatus.SENDING else "claimed", None)].append(row_id)
    conn = session.connection()
    counts = {"claimed": 0, "recovered": 0, "cancelled": 0, "abandoned": 0}
    for (kind, error), ids in groups.items():
        values: dict[str, Any] = {"claim_token": None, "lease_until": None}
        if kind == "cancelled":
            values.update(status=OutboundStatus.CANCELLED, last_error=error)
        elif kind == "abandoned":
            values.update(status=OutboundStatus.FAILED, last_error=error)
        else:
            values.update(
                status=OutboundStatus.SENDING,
                claim_token=token,
                lease_until=lease_until,
                attempts=OutboundMessage.attempts + 1,
            )
        for chunk in _chunks(ids):
            guarded = update(OutboundMessage).where(OutboundMessage.id.in_(chunk), is_due(now)).values(**values)
            counts[kind] += conn.execute(guarded).rowcount
    rows = session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.claim_token == token, OutboundMessage.status == OutboundStatus.SENDING)
        .order_by(OutboundMessage.id)
    ).all()
    return ClaimedBatch(
        token=token,
        lease_until=lease_until,
        rows=tuple(rows),
        recovered=counts["recovered"],
        cancelled=counts["cancelled"],
        abandoned=counts["abandoned"],
    )


def finish_claim(session: Session, row_id: int, token: str, **values: Any) -> bool:
    """Set ``values`` on a row only if this drainer still holds it; drops the claim. False if not ours."""
    stmt = (
        update(OutboundMessage)
        .where(
            OutboundMessage.id == row_id,
            OutboundMessage.claim_token == token,
            OutboundMessage.status == OutboundStatus.SENDING,
        )
        .values(claim_token=None, lease_until=None, **values)
    )
    return session.connection().execute(stmt).rowcount == 1


def finish_sent(session: Session, token: str, sent_at: dict[int, datetime]) -> set[int]:
    """Mark many rows sent at once (``sent_at``: row id -> when its send returned), each only if this
    drainer still holds it; returns the ids marked. One UPDATE per chunk of rows instead of one
    transaction per row; without RETURNING (SQLite before 3.35), one guarded UPDATE per row."""
    marked: set[int] = set()
    conn = session.connection()
    if not conn.dialect.update_returning:
        for row_id, when in sent_at.items():
            if finish_claim(session, row_id, token, status=OutboundStatus.SENT, sent_at=when, last_error=None):
                marked.add(row_id)
        return marked
    for chunk in _chunks(list(sent_at)):
        times = {sent_at[row_id] for row_id in chunk}
        column_type = OutboundMessage.__table__.c.sent_at.type  # binds go through its UTC conversion
        at: Any = (
            times.pop()
            if len(times) == 1
            else case({i: literal(sent_at[i], column_type) for i in chunk}, value=OutboundMessage.id)
        )
        stmt = (
            update(OutboundMessage)
            .where(
                OutboundMessage.id.in_(chunk),
                OutboundMessage.claim_token == token,
                OutboundMessage.status == OutboundStatus.SENDING,
            )
            .values(status=OutboundStatus.SENT, sent_at=at, last_error=None, claim_token=None, lease_until=None)
            .returning(OutboundMessage.id)
        )
        marked.update(conn.execute(stmt).scalars())
    return marked


def _chunks(ids: Sequence[int], size: int = 500) -> Iterator[Sequence[int]]:
    """Slices of ``ids`` small enough for any database's bound-parameter limit."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def release_rows(session: Session, tokens: Iterable[str], ids: Iterable[int] | None = None) -> int:
    """Put rows held under ``tokens`` (only ``ids`` if given) back to pending, un-counting the attempt."""
    stmt = update(OutboundMessage).where(
        OutboundMessage.claim_token.in_(list(tokens)), OutboundMessage.status == OutboundStatus.SENDING
    )
    if ids is not None:
        stmt = stmt.where(OutboundMessage.id.in_(list(ids)))
    stmt = stmt.values(
        status=OutboundStatus.PENDING,
        claim_token=None,
        lease_until=None,
        attempts=OutboundMessage.attempts - 1,
    )
    return session.connection().execute(stmt).rowcount
