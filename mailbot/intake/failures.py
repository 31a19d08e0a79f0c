"""What the inbound error boundary writes on a message whose processing failed, in the caller's transaction.

A failure that may pass (``TransientError``, a database ``OperationalError``) is one more attempt: the
message stays RECEIVED with the error, and is quarantined once it reaches ``inbound.max_attempts``, so
nothing loops for ever. Anything else quarantines it at once. A quarantined message keeps its raw copy
and gets a support ticket (with the traceback when there is one) so staff see it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from mailbot.act.tickets_open import open_quarantine_ticket
from mailbot.config import Config
from mailbot.db.models import InboundMessage
from mailbot.domain import InboundStatus

log = logging.getLogger(__name__)

ERROR_MAX = 2000


def record_retry(
    session: Session, config: Config, inbound: InboundMessage, exc: BaseException, now: datetime
) -> InboundStatus:
    """One more attempt on a message that failed for a reason that may pass; quarantined at the last."""
    if inbound.status != InboundStatus.RECEIVED:
        return InboundStatus(inbound.status)
    error = error_text(exc)
    inbound.attempts += 1
    inbound.error = error
    if inbound.attempts >= config.inbound.max_attempts:
        inbound.status = InboundStatus.QUARANTINED
        inbound.processed_at = now
        summary = f"message could not be processed after {inbound.attempts} attempts: {error}"
        open_quarantine_ticket(session, inbound, summary[:ERROR_MAX], now)
        log.error("inbound id %s: quarantined after %s attempts", inbound.id, inbound.attempts)
    else:
        log.warning(
            "inbound id %s: temporary failure (%s), attempt %s", inbound.id, type(exc).__name__, inbound.attempts
        )
    return InboundStatus(inbound.status)


def record_quarantine(
    session: Session, inbound: InboundMessage, exc: BaseException, now: datetime, trace: str, *, plain: bool = False
) -> InboundStatus:
    """Quarantine a message that failed for good: the error on the row, a support ticket with the trace.
    ``plain``: the error's name alone and no trace, for when recording its text failed too (the text of an
    error may hold what broke the message)."""
    error = f"{type(exc).__name__} (its text could not be recorded: see the log)" if plain else error_text(exc)
    log.error("inbound id %s: quarantined, %s", inbound.id, type(exc).__name__)
    inbound.status = InboundStatus.QUARANTINED
    inbound.error = error
    inbound.processed_at = now
    open_quarantine_ticket(
        session,
        inbound,
        f"message could not be processed: {error}"[:ERROR_MAX],
        now,
        {} if plain else {"traceback": trace[-ERROR_MAX * 4 :]},
    )
    return InboundStatus.QUARANTINED


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
