"""Audit events: every change mailbot or staff make to data, with who, what and why.

``record`` adds the event to the session, inserted at its next flush; inside ``db.held.held`` for
``AuditEvent`` (the inbound pipeline acting on a batch in one transaction) it is held as a plain row
and inserted with the block's others when the block ends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from mailbot.db.held import add_row
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
    values = {
        "at": now,
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "details": details or {},
        "message_ref": message_ref,
    }
    add_row(session, AuditEvent, values)
