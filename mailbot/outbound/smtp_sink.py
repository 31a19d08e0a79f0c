"""An in-process SMTP sink on aiosmtpd: records what arrives, answers what it is told to.

Used by the tests, by the demo and (as ``python -m mailbot.outbound.smtp_sink --port N``) by
the bench in another process. ``RecordingHandler`` stores each message with the number of the
SMTP session it came in on, so tests can count connections; replies can be scripted per
recipient (answered at RCPT) or per DATA command, e.g. ``"451 4.3.0 try later"`` or
``"550 5.1.1 no such user"``.
"""

from __future__ import annotations

import argparse
import signal
import ssl
import sys
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass(frozen=True)
class Delivery:
    """How one recorded message arrived (``handler.deliveries[i]`` goes with ``handler.messages[i]``)."""

    session: int  # 1, 2, ...: the SMTP session (connection) the message came in on
    login: str | None  # the AUTH user, None without AUTH
    tls: bool  # the session was encrypted (STARTTLS or implicit TLS)


class RecordingHandler:
    """aiosmtpd handler keeping every accepted message (or only counting, ``keep=False``)."""

    def __init__(self, *, keep: bool = True) -> None:
        self.keep = keep
        self.messages: list[tuple[str, list[str], bytes]] = []  # (mail_from, rcpt_tos, content)
        self.deliveries: list[Delivery] = []
        self.count = 0
        self.sessions = 0
        self._lock = threading.Lock()
        self._rcpt_script: dict[str, deque[str]] = {}
        self._rcpt_always: dict[str, str] = {}
        self._data_script: deque[str] = deque()

    def script_recipient(self, address: str, *replies: str) -> None:
        """The next RCPTs to ``address`` get these replies in turn ("250 OK" accepts)."""
        with self._lock:
            self._rcpt_script.setdefault(address.lower(), deque()).extend(replies)

    def reject_recipient(self, address: str, reply: str) -> None:
        """Every RCPT to ``address`` gets ``reply`` from now on."""
        with self._lock:
            self._rcpt_always[address.lower()] = reply

    def script_data(self, *replies: str) -> None:
        """The next DATA commands get these replies in turn ("250 OK" accepts)."""
        with self._lock:
            self._data_script.extend(replies)

    def received_ids(self) -> list[str]:
        """The Message-ID header of every message kept, in arrival order."""
        with self._lock:
            return [str(message_from_bytes(content, policy=default)["Message-ID"]) for _, _, content in self.messages]

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        with self._lock:
            queue = self._rcpt_script.get(address.lower())
            reply = queue.popleft() if queue else self._rcpt_always.get(address.lower(), "250 OK")
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(options)
        return reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            reply = self._data_script.popleft() if self._data_script else "250 OK"
            if not reply.startswith("250"):
                return reply
            number = getattr(session, "mailbot_number", None)
            if number is None:
                self.sessions += 1
                number = session.mailbot_number = self.sessions
            self.count += 1
            if self.keep:
                login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
                content = bytes(envelope.original_content or envelope.content)
                self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), content))
                self.deliveries.append(Delivery(session=number, login=login, tls=_is_encrypted(server, session)))
        return "250 OK"


def _is_encrypted(server: Any, session: Any) -> bool:
    """STARTTLS sets ``session.ssl``; implicit TLS shows only on the transport."""
    transport = getattr(server, "transport", None)
    return session.ssl is not None or (transport is not None and transport.get_extra_info("ssl_object") is not None)


class _SinkController(Controller):  # type: ignore[misc]
    """A Controller that may bind port 0 and learns the port the system chose."""

    def _trigger_server(self) -> None:
        sockets = getattr(self.server, "sockets", None)
        if self.port == 0 and sockets:
            self.port = int(sockets[0].getsockname()[1])
        super()._trigger_server()  # type: ignore[no-untyped-call]


def _authenticator(user: str, password: str) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login == user.encode() and data.password == password.encode()
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    return check


def start_sink(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    handler: RecordingHandler | None = None,
    starttls_context: ssl.SSLContext | None = None,
    implicit_tls_context: ssl.SSLContext | None = None,
    auth: tuple[str, str] | None = None,
) -> Controller:
    """A started sink; ``controller.port`` is the bound port, ``controller.handler`` the recorder.

    ``auth`` (user, password) makes AUTH required (allowed without TLS, for tests).
    Stop it with ``controller.stop()``.
    """
    kwargs: dict[str, Any] = {}
    if starttls_context is not None:
        kwargs["tls_context"] = starttls_context
    if auth is not None:
        kwargs.update(auth_required=True, auth_require_tls=False, authenticator=_authenticator(*auth))
    controller = _SinkController(
        handler or RecordingHandler(), hostname=host, port=port, ssl_context=implicit_tls_context, **kwargs
    )
    controller.start()
    return controller


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run an SMTP sink that counts what it receives.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025, help="0 picks a free port (printed at start)")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    controller = start_sink(args.host, args.port, handler=RecordingHandler(keep=False))
    print(f"listening on {args.host}:{controller.port}", flush=True)
    try:
        stop.wait()
    finally:
        controller.stop()
    print(f"received {controller.handler.count} messages in {controller.handler.sessions} sessions", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
