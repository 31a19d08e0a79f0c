"""Audit events: every change mailbot or staff make to data, with who, what and why.

``record`` adds the event to the session, inserted at its next flush. (The inbound writer,
``act.write.Writer``, inserts the events of a batch together.)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from mailbot.db.models import AuditEvent
from mailbot.domain import AuditEntry


def record(session: Session, entry: AuditEntry, *, actor: str, now: datetime, message_ref: str | None = None) -> None:
    """Add the event ``entry`` (done by ``actor`` at ``now``, about the message ``message_ref``)."""
    session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action=entry.action,
            entity=entry.entity,
            entity_id=str(entry.entity_id),
            details=dict(entry.details),
            message_ref=message_ref,
        )
    )
