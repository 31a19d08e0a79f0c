"""Senders: where a built email goes. ``SmtpSender`` for a relay, ``FileSender`` for a folder of
``.eml`` files (the embedded default), ``MemorySender`` for unit tests.

A sender takes an ``OutgoingMail`` (wire bytes and envelope, what the drain sends) or an
``EmailMessage`` (previews, tests, and rows with non-ASCII addresses, sent with SMTPUTF8 when needed).
Every sender raises ``TransientSendError`` (try again later), ``RecipientRefusedError`` (a 5xx to
RCPT that refuses the address: it is marked undeliverable) or ``PermanentSendError`` (a 5xx to DATA,
or a policy refusal at RCPT: this message fails, the address stays; see ``refusals``). Only a 5xx
answer to RCPT or DATA is permanent: a 5xx to AUTH, MAIL FROM or the greeting is our configuration's
fault, not the customer's address, so it is retried (and fails after ``smtp.max_attempts``) without
blaming them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import ssl
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Literal, Protocol

import aiosmtplib

from mailbot.config import Config, SmtpConfig
from mailbot.errors import PermanentSendError, RecipientRefusedError, SendError, TransientSendError
from mailbot.outbound.compose import OutgoingMail
from mailbot.outbound.refusals import is_address_refused_at_rcpt

Mail = OutgoingMail | EmailMessage

log = logging.getLogger(__name__)


class Sender(Protocol):
    async def send(self, message: Mail) -> None: ...

    async def close(self) -> None: ...


Stage = Literal["rcpt", "data"]


def error_for_code(code: int, message: str, at: Stage) -> SendError:
    """The error of an SMTP reply ``code message`` to RCPT or DATA: anything but a 5xx is transient; a
    5xx refuses the address at RCPT (unless it names a policy, the content or us: ``refusals``), the
    message otherwise."""
    reply = f"{code} {message}"
    if not 500 <= code < 600:
        return TransientSendError(reply, code=code)
    if at == "rcpt" and is_address_refused_at_rcpt(code, message):
        return RecipientRefusedError(reply, code=code)
    return PermanentSendError(f"refused at {at.upper()} (the message, not the address): {reply}", code=code)


def classify_smtp_error(exc: Exception) -> SendError:
    """Map an aiosmtplib (or socket) failure to the mailbot error tree; pure."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        first = exc.recipients[0]
        return error_for_code(first.code, first.message, "rcpt")
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        return error_for_code(exc.code, exc.message, "rcpt")
    if isinstance(exc, aiosmtplib.SMTPDataError):
        return error_for_code(exc.code, exc.message, "data")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return TransientSendError(f"authentication failed ({exc.code} {exc.message}): check smtp.username/password")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return TransientSendError(f"{exc.code} {exc.message}", code=exc.code)
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return TransientSendError(f"timeout: {exc}")
    if isinstance(exc, OSError):  # before ValueError: ssl.SSLCertVerificationError is both
        return TransientSendError(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, ValueError):  # an address aiosmtplib refuses to put on the wire
        return RecipientRefusedError(f"invalid address: {exc}")
    return TransientSendError(f"{type(exc).__name__}: {exc}")


@dataclass
class TokenBucket:
    """A rate limit as pure logic: ``reserve(now)`` takes a token and says how long to wait.

    Tokens may go negative, so waiters queue in order: at ``rate`` 2 and ``burst`` 1, three
    reservations at the same instant wait 0, 0.5 and 1.0 seconds.
    """

    rate: float
    burst: float = 1.0
    tokens: float = field(init=False, default=0.0)
    updated: float | None = field(init=False, default=None)

    def reserve(self, now: float) -> float:
        if self.updated is None:
            self.tokens, self.updated = self.burst, now
        elif now > self.updated:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


@dataclass
class _Slot:
    client: aiosmtplib.SMTP | None = None
    last_used: float = 0.0


class SmtpSender:
    """A pool of ``smtp.connections`` SMTP connections, each reused for many messages.

    A connection is opened on first use and again when the server dropped it; one idle for
    longer than ``idle_check_seconds`` is checked with NOOP first. One token bucket limits
    the rate over all connections.
    """

    def __init__(
        self,
        smtp: SmtpConfig,
        *,
        tls_context: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.monotonic,
        idle_check_seconds: float = 10.0,
    ) -> None:
        self.smtp = smtp
        self.tls_context = tls_context
        self.clock = clock
        self.idle_check_seconds = idle_check_seconds
        self.bucket = TokenBucket(smtp.rate_per_second) if smtp.rate_per_second > 0 else None
        self.connections_opened = 0
        self._slots = [_Slot() for _ in range(smtp.connections)]
        self._free: asyncio.LifoQueue[_Slot] = asyncio.LifoQueue()
        for slot in self._slots:
            self._free.put_nowait(slot)

    async def send(self, message: Mail) -> None:
        slot = await self._free.get()
        try:
            await self._throttle()
            reused = slot.client is not None and slot.client.is_connected
            try:
                await self._send_on(slot, message)
            except aiosmtplib.SMTPServerDisconnected:
                if not reused:
                    raise
                # The server closed an idle pooled connection before we noticed: once more, fresh.
                log.debug("pooled smtp connection was closed by the server; reconnecting")
                await self._send_on(slot, message)
        except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
            raise classify_smtp_error(exc) from exc
        finally:
            self._free.put_nowait(slot)

    async def _send_on(self, slot: _Slot, message: Mail) -> None:
        client = await self._ready(slot)
        try:
            if isinstance(message, OutgoingMail):
                await client.sendmail(message.sender, list(message.recipients), message.data)
            else:
                await client.send_message(message)
        except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
            if not isinstance(exc, aiosmtplib.SMTPRecipientsRefused | aiosmtplib.SMTPDataError):
                self._discard(slot)
            raise
        slot.last_used = self.clock()

    async def close(self) -> None:
        for slot in self._slots:
            if slot.client is not None and slot.client.is_connected:
                with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                    await slot.client.quit()
            self._discard(slot)

    async def _throttle(self) -> None:
        if self.bucket is not None:
            wait = self.bucket.reserve(self.clock())
            if wait > 0:
                await asyncio.sleep(wait)

    async def _ready(self, slot: _Slot) -> aiosmtplib.SMTP:
        client = slot.client
        if client is not None and client.is_connected and self.clock() - slot.last_used > self.idle_check_seconds:
            try:
                await client.noop()
            except (aiosmtplib.SMTPException, OSError):
                self._discard(slot)
        if slot.client is None or not slot.client.is_connected:
            self._discard(slot)
            slot.client = await self._connect()
            slot.last_used = self.clock()
        assert slot.client is not None
        return slot.client

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self.smtp
        client = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            timeout=s.timeout_seconds,
            use_tls=s.security == "tls",
            start_tls=s.security == "starttls",
            tls_context=self.tls_context,
            username=s.username or None,
            password=s.password or None,
        )
        await client.connect()
        self.connections_opened += 1
        log.debug("smtp connection %d opened to %s:%d (%s)", self.connections_opened, s.host, s.port, s.security)
        return client

    def _discard(self, slot: _Slot) -> None:
        if slot.client is not None:
            slot.client.close()
            slot.client = None


def _utcnow() -> datetime:
    return datetime.now(UTC)


class FileSender:
    """Writes each email as ``<directory>/<timestamp>-<message id>.eml``, atomically."""

    def __init__(self, directory: Path, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.directory = directory
        self.clock = clock

    async def send(self, message: Mail) -> None:
        try:
            await asyncio.to_thread(self.write, message)
        except OSError as exc:
            raise TransientSendError(f"cannot write to {self.directory}: {exc}") from exc

    def write(self, message: Mail) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = self.clock().astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        if isinstance(message, OutgoingMail):
            message_id, data = message.message_id, message.data.replace(b"\r\n", b"\n")  # .eml: local line ends
        else:
            message_id, data = str(message.get("Message-ID", "")), message.as_bytes()
        ident = re.sub(r"[^A-Za-z0-9._-]", "_", message_id.strip("<> ")) or "no-id"
        final = self.directory / f"{stamp}-{ident}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return final

    async def close(self) -> None:
        return None


class MemorySender:
    """Keeps sent messages in ``sent`` (``OutgoingMail`` parsed back into an ``EmailMessage``);
    ``fail_next`` and ``fail_address`` script SMTP codes, answered at RCPT (``at="rcpt"``, the
    default) or at DATA (``at="data"``), as ``SmtpSender`` would report them."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.closed = False
        self._script: deque[tuple[int, Stage] | None] = deque()
        self._by_address: dict[str, tuple[int, Stage]] = {}

    def fail_next(self, *codes: int | None, at: Stage = "rcpt") -> None:
        """The next sends answer these codes in turn (None: accept)."""
        self._script.extend(None if code is None else (code, at) for code in codes)

    def fail_address(self, address: str, code: int, *, at: Stage = "rcpt") -> None:
        """Every send to ``address`` answers ``code`` from now on."""
        self._by_address[address.lower()] = (code, at)

    async def send(self, message: Mail) -> None:
        if isinstance(message, OutgoingMail):
            to = message.recipients[0].lower() if message.recipients else ""
        else:
            to = str(message.get("To", "")).lower()
        scripted = self._script.popleft() if self._script else self._by_address.get(to)
        if scripted is not None:
            code, at = scripted
            raise error_for_code(code, "scripted failure", at)
        if isinstance(message, OutgoingMail):
            parsed = message_from_bytes(message.data, policy=default_policy)
            assert isinstance(parsed, EmailMessage)
            message = parsed
        self.sent.append(message)

    async def close(self) -> None:
        self.closed = True


def make_sender(config: Config, *, tls_context: ssl.SSLContext | None = None) -> Sender:
    """SMTP when ``smtp.host`` is set, else ``.eml`` files in ``mail.outbox_dir``."""
    if config.smtp.host:
        return SmtpSender(config.smtp, tls_context=tls_context)
    return FileSender(config.path(config.mail.outbox_dir))
