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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailbot.config import MailConfig
from mailbot.db.models import OutboundMessage, OutboundStatus, ReminderClaim
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
    exists = session.scalar(
        select(OutboundMessage.id).where(OutboundMessage.idempotency_key == message.idempotency_key)
    )
    if exists is not None:
        return None
    row = OutboundMessage(
        idempotency_key=message.idempotency_key,
        customer_id=message.customer_id,
        order_id=message.order_id,
        template=message.template,
        language=message.language,
        reason=message.reason,
        to_address=message.to_address,
        subject=message.rendered.subject,
        body_text=message.rendered.text,
        body_html=message.rendered.html,
        message_id=new_message_id(mail.message_id_domain),
        reply_token=new_reply_token(),
        details=message.details,
        status=OutboundStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
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
