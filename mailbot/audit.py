"""Audit events: every change mailbot or staff make to data, with who, what and why.

``record`` adds the event to the session, inserted at its next flush. (The inbound writer,
``act.write.Writer``, inserts the events of a batch together.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mailbot.db.models import AuditEvent


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | int,
    now: datetime,
    details: dict[str, Any] | None = None,
    message_ref: str | None = None,
) -> None:
    event = AuditEvent(
        at=now,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        details=details or {},
        message_ref=message_ref,
    )
    session.add(event)
