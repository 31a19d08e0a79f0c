"""Draining the outbox: claim due rows, send them, record what happened to each.

One batch at a time: rows are claimed under a lease with a random token (``outbox.claim_due``),
encoded straight to wire bytes (``compose.encode_message``) and sent by ``smtp.connections`` workers,
one per connection, so every connection is busy while the database work runs in a thread beside
them. Outcomes are written in groups: while one write runs, the next outcomes gather, and each
write is one transaction (sent rows: one UPDATE for all of them), every row marked only while it
still holds our token. An outcome reached is always written, also when the drain is cancelled.
Then:
- sent: ``sent_at`` set;
- transient failure (4xx, network, timeout): back to pending with exponential backoff
  (``retry_base_seconds * 2**(attempts-1)``, capped at ``retry_max_seconds``), failed once
  ``max_attempts`` attempts were made;
- permanent failure (5xx): failed at once, with the server's reply in ``last_error``. A 5xx at RCPT
  that refuses the address (``refusals``) also marks the customer's address undeliverable with an
  audit event, and the customer's other rows are cancelled instead of sent; a 5xx at DATA (often the
  content or a policy) or a policy refusal at RCPT fails only this message.
With ``stop`` set (a clean shutdown) no row is claimed and no send is started any more; the sends
in flight end and are recorded, and the rows claimed but not started go back to pending at once. A
drainer that dies mid-batch (or is cancelled mid-send) leaves rows ``sending``; another drain takes
them again once their lease expires (at-least-once). DB work runs in threads. Logs carry
Message-IDs, never bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.config import SmtpConfig
from mailbot.db.engine import transaction
from mailbot.db.models import OutboundMessage
from mailbot.domain import OutboundStatus
from mailbot.errors import PermanentSendError, RecipientRefusedError, SendError, TransientSendError
from mailbot.outbound.compose import outgoing
from mailbot.outbound.outbox import ClaimedBatch, claim_due, finish_claim, finish_sent, release_rows
from mailbot.outbound.senders import Sender
from mailbot.outbound.undeliverable import Failure, mark_undeliverable

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# Outcomes are written in groups: a few large transactions cost far less than one per message. A
# crash loses at most one group's marks; those rows are sent again after their lease (at-least-once).
GROUP_SIZE = 100
GROUP_WAIT_SECONDS = 0.05


@dataclass
class DrainResult:
    claimed: int = 0  # rows taken to send (including recovered ones)
    recovered: int = 0  # of claimed: taken over from an expired lease
    sent: int = 0
    retried: int = 0  # back to pending, with backoff
    failed: int = 0  # given up (5xx, too many attempts, cannot build)
    undeliverable: int = 0  # of failed: a 5xx that marked the customer's address
    cancelled: int = 0  # not sent: the customer's address is undeliverable
    released: int = 0  # claimed but not sent (stopping, lease ran out): pending again
    lost: int = 0  # sent, but the claim had passed to another drainer before we marked it

    def add(self, other: DrainResult) -> None:
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def touched(self) -> int:  # rows this run changed
        return self.claimed + self.cancelled + self.failed


@dataclass(frozen=True)
class Decision:
    """What to write on a row once its send returned; pure data."""

    status: OutboundStatus
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    undeliverable: bool = False


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Delay before the next try after ``attempts`` tries: base, 2*base, 4*base, ... up to cap."""
    return min(cap, base * float(2 ** min(max(attempts - 1, 0), 62)))


def decide(attempts: int, error: SendError | None, smtp: SmtpConfig, now: datetime) -> Decision:
    """The outcome of attempt number ``attempts`` (counted from 1) ending with ``error`` (None: sent)."""
    if error is None:
        return Decision(OutboundStatus.SENT, sent_at=now)
    if isinstance(error, PermanentSendError):  # the address only when it was refused itself, at RCPT
        undeliverable = isinstance(error, RecipientRefusedError)
        return Decision(OutboundStatus.FAILED, last_error=str(error), undeliverable=undeliverable)
    if attempts >= smtp.max_attempts:
        return Decision(OutboundStatus.FAILED, last_error=f"gave up after {attempts} attempts: {error}")
    delay = backoff_seconds(attempts, smtp.retry_base_seconds, smtp.retry_max_seconds)
    return Decision(OutboundStatus.PENDING, last_error=str(error), next_attempt_at=now + timedelta(seconds=delay))


def batch_limit(smtp: SmtpConfig, batch_size: int | None = None) -> int:
    """Rows per claim: ``smtp.batch_size``, fewer when the rate limit could not send them in half a lease."""
    limit = batch_size or smtp.batch_size
    if smtp.rate_per_second > 0:
        limit = min(limit, max(1, int(smtp.rate_per_second * smtp.lease_seconds / 2)))
    return limit


@dataclass
class _Run:
    app: App
    sender: Sender
    clock: Clock
    batch: ClaimedBatch
    actor: str
    stop: asyncio.Event | None
    result: DrainResult
    started: set[int] = field(default_factory=set)
    finished: set[int] = field(default_factory=set)  # started and ended with an outcome
    to_release: list[int] = field(default_factory=list)
    blocked: dict[int, str] = field(default_factory=dict)  # customer id -> why, found in this batch
    outcomes: deque[tuple[OutboundMessage, Decision]] = field(default_factory=deque)  # not yet written
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # an outcome came, or the workers are done
    done: asyncio.Event = field(default_factory=asyncio.Event)  # the workers are done
    sending: bool = True  # workers still at work
    writing: threading.Lock = field(default_factory=threading.Lock)  # held by the write in progress

    def decided(self, row: OutboundMessage, decision: Decision) -> None:
        self.finished.add(row.id)
        self.outcomes.append((row, decision))
        self.wake.set()

    def write(self) -> None:
        """Write the outcomes gathered so far in one transaction and count them (blocking: run it in
        a thread). They are taken only once the write runs, so a write cancelled before its thread
        started leaves them for the next; one running in another thread is waited for first."""
        with self.writing:
            outcomes = []
            while self.outcomes:  # deque.popleft is atomic: the event loop may append meanwhile
                outcomes.append(self.outcomes.popleft())
            if not outcomes:
                return
            ours = _record_many(self.app, outcomes, self.batch.token, self.clock(), self.actor)
            for (_, decision), mine in zip(outcomes, ours, strict=True):
                _count(self.result, decision, mine)

    async def writer(self) -> None:
        """Write outcomes a group at a time until the workers are done: after the first outcome of a
        group, wait ``GROUP_WAIT_SECONDS`` for more to join it (not when ``GROUP_SIZE`` are waiting)."""
        while True:
            if not self.outcomes:
                if not self.sending:
                    return
                await self.wake.wait()
                self.wake.clear()
                continue
            if self.sending and len(self.outcomes) < GROUP_SIZE:
                with contextlib.suppress(TimeoutError):  # the batch's last outcomes do not wait
                    await asyncio.wait_for(self.done.wait(), GROUP_WAIT_SECONDS)
            await asyncio.to_thread(self.write)


async def drain_once(
    app: App,
    sender: Sender,
    now: Clock | datetime,
    *,
    stop: asyncio.Event | None = None,
    batch_size: int | None = None,
    actor: str = "mailbot",
) -> DrainResult:
    """Claim one batch of due rows and send it. ``stop`` set: no new sends, the rest is released."""
    if stop is not None and stop.is_set():
        return DrainResult()  # stopping: claim nothing more
    clock = _as_clock(now)
    smtp = app.config.smtp
    limit = batch_limit(smtp, batch_size)
    batch = await asyncio.to_thread(_claim, app, clock(), limit)
    result = DrainResult(
        claimed=len(batch.rows), recovered=batch.recovered, cancelled=batch.cancelled, failed=batch.abandoned
    )
    if not batch.rows:
        return result
    run = _Run(app, sender, clock, batch, actor, stop, result)
    queue = deque(batch.rows)
    workers = min(smtp.connections, len(batch.rows))

    async def worker() -> None:
        nonlocal workers
        try:
            while queue:
                await _deliver(run, queue.popleft())
        finally:
            workers -= 1
            if workers == 0:
                run.sending = False
                run.done.set()
                run.wake.set()

    try:
        async with asyncio.TaskGroup() as group:  # a failure cancels the other sends
            group.create_task(run.writer())
            for _ in range(workers):
                group.create_task(worker())
    finally:
        # Cancelled or failed: what was sent must still be marked (never sent again), and a write
        # cut off in its thread is waited for, so the caller sees every outcome in the database.
        try:
            run.write()
        finally:
            unsent = [r.id for r in batch.rows if r.id not in run.started] + run.to_release
            if unsent:  # also on cancellation: never strand rows that were not tried
                result.released += _release(app, [batch.token], unsent)
            for row in batch.rows:
                if row.id in run.started and row.id not in run.finished and row.id not in run.to_release:
                    # Cut off mid-send: the server may have taken it. Not released: sent again only
                    # after its lease (at-least-once), never at once by the next drain.
                    log.warning(
                        "outbound %d %s: send cut off before its answer; left sending until its lease ends",
                        row.id,
                        row.message_id,
                    )
    return result


async def drain_until_empty(
    app: App,
    sender: Sender,
    now: Clock | datetime,
    *,
    stop: asyncio.Event | None = None,
    max_batches: int | None = None,
    actor: str = "mailbot",
) -> DrainResult:
    """Drain batch after batch until nothing due is left (or ``stop`` is set); for the demo and bench."""
    total = DrainResult()
    batches = 0
    while not (stop and stop.is_set()) and (max_batches is None or batches < max_batches):
        result = await drain_once(app, sender, now, stop=stop, actor=actor)
        total.add(result)
        batches += 1
        if result.touched == 0 or result.released:
            break
    return total


def _as_clock(now: Clock | datetime) -> Clock:
    if isinstance(now, datetime):
        fixed = now
        return lambda: fixed
    return now


def release_claims(app: App, claim_tokens: Iterable[str]) -> int:
    """Put every row still ``sending`` under these claim tokens back to pending (clean shutdown)."""
    return _release(app, list(claim_tokens), None)


async def _deliver(run: _Run, row: OutboundMessage) -> None:
    if run.stop is not None and run.stop.is_set():
        return  # not started: released by drain_once
    run.started.add(row.id)
    now = run.clock()
    if now >= run.batch.lease_until:
        run.to_release.append(row.id)  # another drainer may take it now; do not race it
        return
    if row.customer_id is not None and row.customer_id in run.blocked:
        reason = run.blocked[row.customer_id]
        decision = Decision(OutboundStatus.CANCELLED, last_error=f"not sent: address undeliverable ({reason})")
    else:
        decision = await _attempt(run, row, now)
    if decision.undeliverable and row.customer_id is not None:
        run.blocked[row.customer_id] = decision.last_error or ""
    run.decided(row, decision)


async def _attempt(run: _Run, row: OutboundMessage, now: datetime) -> Decision:
    smtp = run.app.config.smtp
    try:
        message = outgoing(row, run.app.config.mail, now)
    except (ValueError, TypeError) as exc:
        log.error("outbound %d %s: cannot build the message: %s", row.id, row.message_id, exc)
        return Decision(OutboundStatus.FAILED, last_error=f"cannot build the message: {exc}")
    error: SendError | None = None
    try:
        await run.sender.send(message)
    except SendError as exc:
        error = exc
    except Exception as exc:  # a sender bug must not strand the row: retry, bounded by max_attempts
        log.exception("outbound %d %s: unexpected error from the sender", row.id, row.message_id)
        error = TransientSendError(f"unexpected {type(exc).__name__}: {exc}")
    decision = decide(row.attempts, error, smtp, run.clock())
    if error is None:
        log.info("sent %s (outbound %d, %s)", row.message_id, row.id, row.template)
    else:
        log.warning("outbound %d %s: %s -> %s", row.id, row.message_id, error, decision.status.value)
    return decision


_COUNTERS = {
    OutboundStatus.SENT: "sent",
    OutboundStatus.PENDING: "retried",
    OutboundStatus.CANCELLED: "cancelled",
    OutboundStatus.FAILED: "failed",
}


def _count(result: DrainResult, decision: Decision, ours: bool) -> None:
    name = _COUNTERS[decision.status] if ours else "lost"
    setattr(result, name, getattr(result, name) + 1)
    result.undeliverable += ours and decision.undeliverable


def _claim(app: App, now: datetime, limit: int) -> ClaimedBatch:
    smtp = app.config.smtp
    with transaction(app.sessions) as session:
        return claim_due(
            session, now=now, lease_seconds=smtp.lease_seconds, limit=limit, max_attempts=smtp.max_attempts
        )


def _release(app: App, tokens: list[str], ids: list[int] | None) -> int:
    with transaction(app.sessions) as session:
        return release_rows(session, tokens, ids)


def _record_many(
    app: App, outcomes: list[tuple[OutboundMessage, Decision]], token: str, now: datetime, actor: str
) -> list[bool]:
    """Write each outcome in one transaction, only on rows still holding ``token``; which were ours."""
    with transaction(app.sessions) as session:
        sent = {row.id: d.sent_at for row, d in outcomes if d.status is OutboundStatus.SENT and d.sent_at is not None}
        ours = finish_sent(session, token, sent) if sent else set()
        for row, decision in outcomes:
            if row.id in sent:
                continue
            values: dict[str, object] = {"status": decision.status, "last_error": decision.last_error}
            if decision.next_attempt_at is not None:
                values["next_attempt_at"] = decision.next_attempt_at
            if finish_claim(session, row.id, token, **values):
                ours.add(row.id)
                if decision.undeliverable and row.customer_id is not None:
                    _mark_undeliverable(session, row, decision.last_error or "", now, actor)
    for row, decision in outcomes:
        if row.id not in ours:
            log.warning("outbound %d %s: claim lost before it was marked %s", row.id, row.message_id, decision.status)
    return [row.id in ours for row, _ in outcomes]


def _mark_undeliverable(session: Session, row: OutboundMessage, reason: str, now: datetime, actor: str) -> None:
    """Flag the customer's address (only if it is still the address that bounced) and audit it."""
    if row.customer_id is None:
        return
    details = {"outbound_id": row.id, "template": row.template}
    failure = Failure(row.customer_id, row.to_address, reason, row.message_id, details)
    mark_undeliverable(session, failure, now=now, actor=actor)
