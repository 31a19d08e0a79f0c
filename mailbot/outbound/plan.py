"""A planned email: what a sweep decided to send, to whom and why, before anything is written.

Both sweeps (service reminders, unpaid orders) produce ``PlannedEmail`` values from a read of the
database and a date. ``mailbot due`` prints them; the scheduler renders and enqueues them with
``enqueue_planned``. Deciding and writing are kept apart so that the preview is exactly what the
sweep would send.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from mailbot.config import MailConfig
from mailbot.outbound.context import PaymentContext, ReminderContext
from mailbot.outbound.outbox import Claim, NewMessage, enqueue_many
from mailbot.outbound.render import Renderer

CHUNK = 500  # emails rendered and inserted together


@dataclass(frozen=True)
class PlannedEmail:
    idempotency_key: str
    template: str
    customer_id: int
    to_address: str
    language: str
    reason: str  # for people: why this email goes out today
    context: ReminderContext | PaymentContext
    claims: tuple[Claim, ...] = ()
    order_id: int | None = None
    # Why it will not be sent after all (address undeliverable, ...); None when it will be.
    suppressed: str | None = None
    details: dict[str, object] = field(default_factory=dict)


@dataclass
class EnqueueResult:
    enqueued: int = 0
    already_there: int = 0
    suppressed: int = 0


def enqueue_planned(
    session: Session,
    planned: Iterable[PlannedEmail],
    *,
    renderer: Renderer,
    mail: MailConfig,
    now: datetime,
) -> EnqueueResult:
    """Render and insert every planned email that is not suppressed; duplicates insert nothing.

    Renders and inserts a chunk at a time (``outbox.enqueue_many``: one SELECT and one multi-row
    INSERT per chunk instead of a SELECT and a SAVEPOINT per email), so memory stays bounded."""
    result = EnqueueResult()
    chunk: list[tuple[NewMessage, Sequence[Claim]]] = []

    def flush() -> None:
        for inserted in enqueue_many(session, chunk, mail=mail, now=now):
            if inserted:
                result.enqueued += 1
            else:
                result.already_there += 1
        chunk.clear()

    for item in planned:
        if item.suppressed:
            result.suppressed += 1
            continue
        rendered = renderer.render(item.template, item.language, item.context)
        message = NewMessage(
            idempotency_key=item.idempotency_key,
            template=item.template,
            language=item.language,
            to_address=item.to_address,
            rendered=rendered,
            reason=item.reason,
            customer_id=item.customer_id,
            order_id=item.order_id,
            details=dict(item.details),
        )
        chunk.append((message, item.claims))
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()
    return result
