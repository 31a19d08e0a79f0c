"""Audit events: every change mailbot or staff make to data, with who, what and why.

``record`` adds the event to the session, inserted at its next flush. Inside ``held`` (the inbound
pipeline acting on a batch of messages in one transaction) the events are collected as plain rows
instead and go in with one multi-row INSERT when the block ends, in the same transaction: the same
rows, without the ORM's bookkeeping for each one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from mailbot.db.models import AuditEvent

_HELD = "mailbot.audit.held"  # session.info key: the rows ``held`` collects


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
    rows: list[dict[str, Any]] | None = session.info.get(_HELD)
    if rows is not None:
        rows.append(values)
    else:
        session.add(AuditEvent(**values))


@contextmanager
def held(session: Session) -> Iterator[None]:
    """Events recorded in the block are inserted together when it ends without an error (not at all
    when it raises: the caller's transaction is then rolled back anyway)."""
    if session.info.get(_HELD) is not None:  # already holding: the outer block inserts them
        yield
        return
    rows: list[dict[str, Any]] = []
    session.info[_HELD] = rows
    try:
        yield
    finally:
        del session.info[_HELD]
    if rows:
        session.execute(insert(AuditEvent), rows)
