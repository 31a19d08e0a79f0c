"""The IMAP listener: reads the ``imap.folder`` of one mailbox and hands each message to the pipeline.

Only the process holding the database lease ``imap:<mailbox>`` consumes (``locks.Lease``), renewed
while it listens; others wait and retry. On each connection it first processes what is pending, then
cycles over the folder and waits for mail (``connection.MailboxConnection``: fetch, store, process,
move; overlapped by ``overlap.Overlap`` with ``imap.overlap``, whose reading worker lives as long as the
listener). Any network, server or database error closes the connection and reconnects after an exponential
backoff capped at ``imap.backoff_max_seconds``. ``ImapListener.run`` blocks (imapclient is synchronous):
run it in a thread and set its ``stop`` event to end it; every wait is sliced so a stop is noticed within
``tick`` seconds. ``drain_mailbox`` is one such pass, for the command line and the benchmark.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from imapclient import IMAPClient

from mailbot.act.pipeline import process_pending
from mailbot.app import App
from mailbot.config import ImapConfig
from mailbot.errors import TransientError
from mailbot.intake.imap.connection import Clock, Counters, Listening, MailboxConnection
from mailbot.intake.imap.moves import close_client
from mailbot.intake.imap.overlap import Overlap
from mailbot.intake.imap.plan import backoff_seconds, lease_name, mailbox_key
from mailbot.intake.locks import Lease
from mailbot.paths import rules_dir
from mailbot.understand.addresses import own_addresses
from mailbot.understand.rules import RuleSet, load_rules

log = logging.getLogger(__name__)

PENDING_AT_START = 1000

Connect = Callable[[ImapConfig], IMAPClient]


def utc_now() -> datetime:
    return datetime.now(UTC)


def connect_imap(imap: ImapConfig, client_class: type[IMAPClient] = IMAPClient) -> IMAPClient:
    """A logged-in connection: implicit TLS (``ssl``), STARTTLS (``starttls``) or plain (``none``)."""
    context = ssl.create_default_context() if imap.security in ("ssl", "starttls") else None
    client = client_class(
        imap.host, port=imap.port, ssl=imap.security == "ssl", ssl_context=context, timeout=imap.timeout_seconds
    )
    try:
        if imap.security == "starttls":
            client.starttls(context)
        client.login(imap.username, imap.password)
    except BaseException:
        close_client(client)
        raise
    return client


@dataclass(frozen=True)
class Pacing:
    """The listener's time: the clock that dates what it stores, how long one wait on the server lasts
    before ``stop`` is looked at again (``tick``, seconds), and the first delay before reconnecting after
    a failure (``backoff_base``, doubled each time up to ``imap.backoff_max_seconds``)."""

    clock: Clock = utc_now
    tick: float = 0.5
    backoff_base: float = 1.0


class LeaseLost(TransientError):
    """The consumer lease expired and may be someone else's: stop consuming at once."""


class ImapListener:
    """The long-running consumer: lease, connect, process pending, cycle and wait, reconnect on errors."""

    def __init__(
        self,
        app: App,
        rules: RuleSet,
        *,
        pacing: Pacing = Pacing(),
        connect: Connect = connect_imap,
        stop: threading.Event | None = None,
        owner: str | None = None,
    ) -> None:
        self.app = app
        self.rules = rules
        self.clock = pacing.clock
        self.connect = connect
        self.stop = stop or threading.Event()
        self.backoff_base = pacing.backoff_base
        self.tick = pacing.tick
        imap = app.config.imap
        self.lease = Lease(app.sessions, lease_name(imap), imap.lock_seconds, owner=owner)
        self.lease_retry = max(0.05, min(10.0, imap.lock_seconds / 4))
        self.counters = Counters()
        self.failures = 0
        self.overlap = Overlap(
            own_addresses(app.config), enabled=imap.overlap, connect=lambda: self.connect(self.app.config.imap)
        )
        self.key = mailbox_key(imap)

    def request_stop(self) -> None:
        self.stop.set()

    def run(self) -> None:
        """Consume until ``stop`` is set; never raises for network, server or database errors."""
        log.info("imap %s: listener starting", self.key)
        try:
            while not self.stop.is_set():
                try:
                    if not self.lease.held and not self.lease.acquire(utc_now()):
                        self.stop.wait(self.lease_retry)  # another process consumes this mailbox
                        continue
                    self._connected()
                except LeaseLost:
                    log.warning("imap %s: lease lost, waiting to take it again", self.key)
                except Exception as exc:
                    self.failures += 1
                    delay = backoff_seconds(
                        self.failures, base=self.backoff_base, cap=self.app.config.imap.backoff_max_seconds
                    )
                    log.warning(
                        "imap %s: %s: %s; reconnecting in %.1f s (failure %d)",
                        self.key,
                        type(exc).__name__,
                        exc,
                        delay,
                        self.failures,
                    )
                    self.stop.wait(delay)
        finally:
            self.overlap.close()
            try:
                self.lease.release()
            except Exception as exc:  # the lease then simply expires
                log.warning("imap %s: could not release the lease: %s", self.key, exc)
            log.info("imap %s: listener stopped: %s", self.key, self.counters.words())

    def _connected(self) -> None:
        client = self.connect(self.app.config.imap)
        self.counters.connections += 1
        try:
            listening = Listening(self.clock, self.counters, self.stop.is_set, self._keep_lease)
            conn = MailboxConnection(self.app, self.rules, client, listening, self.overlap)
            log.info("imap %s: connected (%s, %s)", self.key, "IDLE" if conn.can_idle else "polling", conn.method)
            process_pending(self.app, self.clock(), self.rules, limit=PENDING_AT_START)
            while not self.stop.is_set():
                conn.catch_up()
                self.failures = 0
                conn.wait_for_mail(self.tick)
        finally:
            close_client(client)

    def _keep_lease(self) -> None:
        if not self.lease.keep(utc_now()):
            raise LeaseLost(f"imap {self.key}: the consumer lease was lost")


def drain_mailbox(
    app: App,
    rules: RuleSet | None = None,
    *,
    now: datetime | None = None,
    connect: Connect = connect_imap,
) -> Counters:
    """One pass over the incoming folder (what the listener does on each wake-up), under the lease.

    Raises ``TransientError`` when another process holds the mailbox's lease."""
    rules = rules if rules is not None else load_rules(rules_dir())
    clock: Clock = (lambda: now) if now is not None else utc_now
    imap = app.config.imap
    lease = Lease(app.sessions, lease_name(imap), imap.lock_seconds)
    if not lease.acquire(utc_now()):
        raise TransientError(f"imap {mailbox_key(imap)}: another process is consuming this mailbox")
    counters = Counters()

    def keep() -> None:
        if not lease.keep(utc_now()):
            raise LeaseLost(f"imap {mailbox_key(imap)}: the consumer lease was lost")

    overlap = Overlap(own_addresses(app.config), enabled=imap.overlap, connect=lambda: connect(imap))
    try:
        client = connect(imap)
        try:
            conn = MailboxConnection(app, rules, client, Listening(clock, counters, keep_lease=keep), overlap)
            process_pending(app, clock(), rules, limit=PENDING_AT_START)
            conn.cycle()
        finally:
            close_client(client)
    finally:
        overlap.close()
        lease.release()
    return counters
