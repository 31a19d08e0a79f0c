"""Helpers for tests that send to a real aiosmtpd server on a free localhost port (no socket mocks); the
``smtp_sink`` and ``tls_cert`` fixtures are in conftest.

``smtp_config`` / ``enqueue_email``: a config pointing at a sink and a quick way to fill the outbox.
``server_tls_context`` / ``client_tls_context``: TLS contexts for the test certificate.
"""

from __future__ import annotations

import asyncio
import ssl
from datetime import datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from mailbot.config import Config, MailConfig
from mailbot.db.models import Customer, OutboundMessage
from mailbot.outbound.outbox import NewMessage, enqueue
from mailbot.outbound.render import RenderedEmail
from mailbot.outbound.smtp_sink import RecordingHandler
from tests.support.config import make_config


def server_tls_context(cert: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert[0]), str(cert[1]))
    return context


def client_tls_context(cert: tuple[Path, Path]) -> ssl.SSLContext:
    """A client context that trusts only the test certificate (and checks the host name)."""
    return ssl.create_default_context(cafile=str(cert[0]))


def sink_handler(controller: Controller) -> RecordingHandler:
    handler = controller.handler
    assert isinstance(handler, RecordingHandler)
    return handler


def smtp_config(tmp_path: Path, db_url: str, port: int, **smtp: Any) -> Config:
    values: dict[str, object] = {"host": "127.0.0.1", "port": port, "security": "none", "timeout_seconds": 10.0}
    values.update(smtp)
    return make_config(tmp_path, db_url, smtp=values)


def enqueue_email(
    session: Session, customer: Customer, mail: MailConfig, now: datetime, *, key: str, subject: str = ""
) -> OutboundMessage:
    rendered = RenderedEmail(
        subject=subject or f"Il suo servizio è in scadenza ({key})",
        text=f"Gentile {customer.name},\nil servizio scade presto. Rif. {key}\n",
        html=f"<p>Gentile {customer.name},</p><p>il servizio scade presto. Rif. {key}</p>",
    )
    row = enqueue(
        session,
        NewMessage(
            idempotency_key=key,
            template="expiry_reminder",
            language="it",
            to_address=customer.email,
            rendered=rendered,
            reason="test",
            customer_id=customer.id,
        ),
        mail=mail,
        now=now,
    )
    assert row is not None
    return row


class SlowDataHandler(RecordingHandler):
    """Takes a message as delivered as soon as its data has arrived (``arrived``: its Message-IDs, in
    order, repeats included), then waits ``delay`` seconds before answering 250 (``answered``). So an
    MTA behaves that queued the message and answers slowly: a client that hangs up meanwhile does not
    undo the delivery."""

    def __init__(self, *, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.arrived: list[str] = []
        self.answered: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = bytes(envelope.original_content or envelope.content)
        message_id = str(message_from_bytes(content, policy=default)["Message-ID"])
        self.arrived.append(message_id)
        await asyncio.sleep(self.delay)
        reply = await super().handle_DATA(server, session, envelope)
        self.answered.append(message_id)
        return reply
