"""Marking a customer's address undeliverable: after a 5xx at send time (the drain) or a permanent
bounce that arrives later by mail (the inbound actions). One guarded UPDATE, so the mark is set once,
only while the address that failed is still the customer's, and audited with the message that failed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from mailbot import audit
from mailbot.db.models import Customer
from mailbot.domain import AuditEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Failure:
    """An address that mail to a customer could not reach: whose, which, why, and what failed."""

    customer_id: int
    address: str
    reason: str
    message_ref: str | None  # the Message-ID of the email that failed
    details: Mapping[str, Any] = field(default_factory=dict)


def mark_undeliverable(session: Session, failure: Failure, *, now: datetime, actor: str) -> bool:
    """Flag the customer's address if it is still ``failure.address`` and not flagged yet; True when it changed."""
    customer_id, address, reason = failure.customer_id, failure.address, failure.reason
    result = session.execute(
        update(Customer)
        .where(
            Customer.id == customer_id,
            Customer.email_undeliverable.is_(False),
            func.lower(Customer.email) == address.strip().lower(),
        )
        .values(email_undeliverable=True, undeliverable_reason=reason, updated_at=now)
        .execution_options(synchronize_session="fetch")  # a Customer loaded in the session sees the mark
    )
    changed = getattr(result, "rowcount", 0)
    if not changed:
        return False
    audit.record(
        session,
        AuditEntry("customer.email_undeliverable", "customer", customer_id, {**failure.details, "reply": reason}),
        actor=actor,
        now=now,
        message_ref=failure.message_ref,
    )
    log.warning("customer %s: address marked undeliverable after %s", customer_id, failure.message_ref)
    return True
