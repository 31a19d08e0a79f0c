"""The IMAP listener: reads the ``imap.folder`` of one mailbox and hands each message to the pipeline.

Per batch of up to ``FETCH_BATCH`` messages: ``UID FETCH BODY.PEEK[]`` (never ``\\Seen``: people read
these mailboxes too), ``store_many`` and COMMIT (with the folder's highest UID seen), process them
(``process_many``: one transaction, a SAVEPOINT per message, so one failure costs only its message), and
only then move each on the server to the ``imap.processed_folder``, ``review_folder`` or
``quarantine_folder`` its outcome names (MOVE when the server has it, else COPY + ``\\Deleted`` + UID
EXPUNGE with UIDPLUS, else COPY + EXPUNGE). A message whose processing must be retried stays in the
incoming folder.

State per folder lives in ``MailboxState``: the UIDVALIDITY and the highest UID stored. UIDs above it
are new. UIDs at or below it that are still in the folder were stored but not moved (a crash between
commit and move, or a retry): they are moved by their stored status, or fetched again when no row has
their UID (``store_many`` then answers the stored row, so nothing is stored twice). A UIDVALIDITY change
resets the state and every message in the folder is read again, deduplicated the same way.

Only the process holding the database lease ``imap:<mailbox>`` consumes (``locks.Lease``), renewed
while it listens; others wait and retry. IDLE where the server has it and ``imap.idle`` is on, polling
every ``imap.poll_seconds`` otherwise; any network, server or database error closes the connection and
reconnects after an exponential backoff capped at ``imap.backoff_max_seconds``. ``ImapListener.run``
blocks (imapclient is synchronous): run it in a thread and set its ``stop`` event to end it; every
wait is sliced so a stop is noticed within ``tick`` seconds.

The decisions (what to fetch, where leftovers go, which move command, how long to back off) are pure
functions at the top; the classes below only talk to the server and the database.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from typing import Any, Literal

from imapclient import DELETED, IMAPClient
from imapclient.exceptions import IMAPClientError
from sqlalchemy import select, update

from mailbot.app import App
from mailbot.config import Config, ImapConfig
from mailbot.db.engine import transaction
from mailbot.db.models import InboundMessage, InboundStatus, MailboxState
from mailbot.errors import TransientError
from mailbot.inbound.locks import Lease
from mailbot.inbound.pipeline import folder_for, process_many, process_pending
from mailbot.inbound.rules import RuleSet, load_rules
from mailbot.inbound.store import StoreResult, store_many
from mailbot.paths import rules_dir

log = logging.getLogger(__name__)

FETCH_BATCH = 50  # messages per UID FETCH: few round trips, bounded memory
PENDING_AT_START = 1000
IDLE_EOF_CHECKS = 3  # idle_check answering nothing, at once, this many times in a row: the socket is at EOF
MAILBOX_MAX = 200  # InboundMessage.mailbox's length

MoveMethod = Literal["move", "uidplus", "expunge"]
Clock = Callable[[], datetime]
Connect = Callable[[ImapConfig], IMAPClient]


def utc_now() -> datetime:
    return datetime.now(UTC)


# -- pure decisions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    last_uid: int


@dataclass(frozen=True)
class FetchPlan:
    uidvalidity: int
    reset: bool  # no state yet, or UIDVALIDITY changed: the state starts again from UID 0
    new: tuple[int, ...]  # above the highest UID stored: fetch, store, process, move
    leftover: tuple[int, ...]  # stored before but still in the folder


def plan_fetch(state: FolderState | None, uidvalidity: int, uids: Iterable[int]) -> FetchPlan:
    """Which of the folder's ``uids`` are new and which were left behind, given the stored state."""
    reset = state is None or state.uidvalidity != uidvalidity
    last = 0 if state is None or reset else state.last_uid
    ordered = sorted({int(u) for u in uids})
    return FetchPlan(
        uidvalidity=uidvalidity,
        reset=reset,
        new=tuple(u for u in ordered if u > last),
        leftover=tuple(u for u in ordered if u <= last),
    )


@dataclass(frozen=True)
class LeftoverPlan:
    moves: dict[str, tuple[int, ...]]  # target folder -> UIDs
    expunge: tuple[int, ...]  # already copied and flagged \Deleted before a crash: only the expunge is missing
    refetch: tuple[int, ...]  # no stored row has this UID: fetch again (store_raw finds the stored copy)
    waiting: tuple[int, ...]  # stored, not yet processed: stays until the pipeline has an outcome


def plan_leftovers(
    config: Config,
    leftover: Sequence[int],
    known: Mapping[int, InboundStatus],
    deleted: Iterable[int] = (),
) -> LeftoverPlan:
    """Where each left-behind UID goes, from the status of the row stored with that UID (``known``)."""
    flagged = set(deleted)
    moves: dict[str, list[int]] = {}
    expunge: list[int] = []
    refetch: list[int] = []
    waiting: list[int] = []
    for uid in leftover:
        status = known.get(uid)
        if status is None:
            refetch.append(uid)
            continue
        target = folder_for(config, status)
        if target == config.imap.folder:
            waiting.append(uid)
        elif uid in flagged:
            expunge.append(uid)
        else:
            moves.setdefault(target, []).append(uid)
    return LeftoverPlan({k: tuple(v) for k, v in moves.items()}, tuple(expunge), tuple(refetch), tuple(waiting))


def move_method(capabilities: Iterable[bytes | str]) -> MoveMethod:
    """MOVE (RFC 6851) when offered, else COPY + UID EXPUNGE (UIDPLUS), else COPY + EXPUNGE."""
    caps = {(c.decode("ascii", "replace") if isinstance(c, bytes) else c).upper() for c in capabilities}
    if "MOVE" in caps:
        return "move"
    if "UIDPLUS" in caps:
        return "uidplus"
    return "expunge"


def has_capability(capabilities: Iterable[bytes | str], name: str) -> bool:
    wanted = name.upper()
    return any((c.decode("ascii", "replace") if isinstance(c, bytes) else c).upper() == wanted for c in capabilities)


def backoff_seconds(failures: int, *, base: float, cap: float) -> float:
    """Seconds to wait before reconnecting after ``failures`` failures in a row: base, 2x, 4x... up to cap."""
    if failures <= 0:
        return 0.0
    return float(min(cap, base * 2 ** min(failures - 1, 62)))


def mailbox_key(imap: ImapConfig) -> str:
    """The mailbox's name in the database (state, stored rows, lease): ``user@host:port/folder``."""
    return f"{imap.username}@{imap.host}:{imap.port}/{imap.folder}"[:MAILBOX_MAX]


def lease_name(imap: ImapConfig) -> str:
    return f"imap:{mailbox_key(imap)}"


def server_folder_name(name: str, delimiter: str | None) -> str:
    """A configured folder name (``/`` between levels) in the server's hierarchy delimiter."""
    if not delimiter or delimiter == "/":
        return name
    return name.replace("/", delimiter)


def has_news(responses: Iterable[Any]) -> bool:
    """True when IDLE responses announce mail (``* n EXISTS`` / ``* n RECENT``)."""
    return any(isinstance(r, tuple) and len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)


def is_goodbye(responses: Iterable[Any]) -> bool:
    """True when the server said BYE (shutting down, or dropping the idle connection)."""
    return any(isinstance(r, tuple) and r and r[0] == b"BYE" for r in responses)


def chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# -- I/O shell ------------------------------------------------------------------------------------


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
        _close(client)
        raise
    return client


class LeaseLost(TransientError):
    """The consumer lease expired and may be someone else's: stop consuming at once."""


class ServerGoodbye(TransientError):
    """The server closed the connection (BYE)."""


@dataclass
class Counters:
    """What a listener or a drain did (for logs, tests and the benchmark)."""

    stored: int = 0
    duplicates: int = 0
    processed: int = 0
    moved: dict[str, int] = field(default_factory=dict)
    cycles: int = 0
    connections: int = 0
    resets: int = 0

    def add_moved(self, folder: str, count: int) -> None:
        self.moved[folder] = self.moved.get(folder, 0) + count


class MailboxConnection:
    """One logged-in connection's work on the incoming folder: prepare folders, run cycles, wait."""

    def __init__(
        self,
        app: App,
        rules: RuleSet,
        client: IMAPClient,
        *,
        clock: Clock,
        counters: Counters,
        should_stop: Callable[[], bool] = lambda: False,
        keep_lease: Callable[[], None] = lambda: None,
    ) -> None:
        self.app = app
        self.config = app.config
        self.rules = rules
        self.client = client
        self.clock = clock
        self.counters = counters
        self.should_stop = should_stop
        self.keep_lease = keep_lease
        self.key = mailbox_key(app.config.imap)
        caps = client.capabilities()
        self.method = move_method(caps)
        self.can_idle = app.config.imap.idle and has_capability(caps, "IDLE")
        self.server_names = self._prepare_folders()

    # folders

    def _prepare_folders(self) -> dict[str, str]:
        imap = self.config.imap
        delimiter = self._delimiter()
        names = {n: server_folder_name(n, delimiter) for n in (imap.folder, *self._targets())}
        for name in self._targets():
            server = names[name]
            if not self.client.folder_exists(server):
                log.info("imap %s: creating folder %s", self.key, server)
                try:
                    self.client.create_folder(server)
                except IMAPClientError:
                    if not self.client.folder_exists(server):  # not "it was there after all" (ALREADYEXISTS)
                        raise
        return names

    def _targets(self) -> tuple[str, str, str]:
        imap = self.config.imap
        return (imap.processed_folder, imap.review_folder, imap.quarantine_folder)

    def _delimiter(self) -> str | None:
        try:
            listed = self.client.list_folders("", "")
        except Exception:
            return None
        for _flags, delimiter, _name in listed:
            if delimiter:
                return delimiter.decode("ascii", "replace") if isinstance(delimiter, bytes) else str(delimiter)
        return None

    # one pass

    def cycle(self) -> int:
        """Select the folder, store and move everything in it (new mail and leftovers); how many were new."""
        incoming = self.server_names[self.config.imap.folder]
        selected = self.client.select_folder(incoming)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        uids = [int(u) for u in self.client.search("ALL")]
        plan = plan_fetch(self._load_state(), uidvalidity, uids)
        if plan.reset:
            self._reset_state(uidvalidity)
        if plan.leftover:
            self._handle_leftovers(plan)
        self._take(plan.new, uidvalidity)
        self.counters.cycles += 1
        return len(plan.new)

    def catch_up(self) -> None:
        """Cycle until one finds nothing new. Mail that arrived during a cycle was announced in the answer
        to one of its commands, which imaplib keeps to itself; IDLE would not announce it again."""
        while self.cycle() and not self.should_stop():
            pass

    def _load_state(self) -> FolderState | None:
        with self.app.sessions() as session:
            row = session.get(MailboxState, self.key)
            return FolderState(int(row.uidvalidity), int(row.last_uid)) if row is not None else None

    def _reset_state(self, uidvalidity: int) -> None:
        with transaction(self.app.sessions) as session:
            row = session.get(MailboxState, self.key)
            if row is None:
                session.add(MailboxState(mailbox=self.key, uidvalidity=uidvalidity, last_uid=0))
                log.info("imap %s: first look at the folder (UIDVALIDITY %s)", self.key, uidvalidity)
            else:
                log.warning("imap %s: UIDVALIDITY changed %s -> %s, reading the whole folder again",
                            self.key, row.uidvalidity, uidvalidity)  # fmt: skip
                row.uidvalidity, row.last_uid = uidvalidity, 0
        self.counters.resets += 1

    def _handle_leftovers(self, plan: FetchPlan) -> None:
        with self.app.sessions() as session:
            rows = session.execute(
                select(InboundMessage.uid, InboundMessage.status, InboundMessage.id).where(
                    InboundMessage.mailbox == self.key,
                    InboundMessage.uidvalidity == plan.uidvalidity,
                    InboundMessage.uid.in_(plan.leftover),
                )
            ).all()
        known = {int(uid): InboundStatus(status) for uid, status, _ in rows if uid is not None}
        ids = {int(uid): int(row_id) for uid, _, row_id in rows if uid is not None}
        flags = self.client.get_flags(list(plan.leftover)) if self.method != "move" else {}
        deleted = [int(uid) for uid, f in flags.items() if DELETED in f]
        lp = plan_leftovers(self.config, plan.leftover, known, deleted)
        if lp.moves or lp.expunge:
            log.info("imap %s: moving %d message(s) stored before but left in the folder", self.key,
                     sum(len(v) for v in lp.moves.values()) + len(lp.expunge))  # fmt: skip
        for folder, uids in lp.moves.items():
            self._move(folder, list(uids), [ids[u] for u in uids])
        if lp.expunge:
            self._expunge(list(lp.expunge))
        if lp.refetch:
            self._take(lp.refetch, plan.uidvalidity)

    def _take(self, uids: Sequence[int], uidvalidity: int) -> None:
        """Fetch, store (one COMMIT per batch), process (one transaction per batch, a SAVEPOINT per
        message), then move, in batches; a stop ends after the current message."""
        for batch in chunks(list(uids), FETCH_BATCH):
            if self.should_stop():
                return
            self.keep_lease()
            fetched = self.client.fetch(list(batch), [b"BODY.PEEK[]"])
            items = [(uid, bytes(raw)) for uid in batch if (raw := fetched.get(uid, {}).get(b"BODY[]")) is not None]
            del fetched  # expunged by someone else since the SEARCH: not in the answer
            if not items:
                continue
            placed: dict[str, list[tuple[int, int]]] = {}
            todo: list[tuple[int, int]] = []
            parsed: dict[int, tuple[bytes, Message]] = {}
            for uid, result in zip((uid for uid, _ in items), self._store(items, uidvalidity), strict=True):
                if result.duplicate:
                    self.counters.duplicates += 1
                    log.info("imap %s: UID %s is a copy of stored message id %s", self.key, uid, result.inbound_id)
                else:
                    self.counters.stored += 1
                if result.status == InboundStatus.RECEIVED and not result.duplicate:
                    todo.append((uid, result.inbound_id))
                    if result.parsed is not None:
                        parsed[result.inbound_id] = result.parsed
                else:  # a copy (moved by its stored status), or stored quarantined (too large)
                    self._place(placed, uid, result.inbound_id, result.status)
            del items
            outcomes = process_many(self.app, [i for _, i in todo], self.clock(), self.rules,
                                    should_stop=self.should_stop, parsed=parsed)  # fmt: skip
            del parsed
            self.counters.processed += len(outcomes)
            for (uid, inbound_id), outcome in zip(todo, outcomes, strict=False):  # a stop leaves the rest waiting
                self._place(placed, uid, inbound_id, outcome.status)
            for folder, pairs in placed.items():
                self._move(folder, [u for u, _ in pairs], [i for _, i in pairs])

    def _place(self, placed: dict[str, list[tuple[int, int]]], uid: int, inbound_id: int,
               status: InboundStatus) -> None:  # fmt: skip
        target = folder_for(self.config, status)
        if target != self.config.imap.folder:
            placed.setdefault(target, []).append((uid, inbound_id))

    def _store(self, items: Sequence[tuple[int, bytes]], uidvalidity: int) -> list[StoreResult]:
        """Store a fetched batch and the folder's highest UID, and COMMIT: only then may anything move.
        A failure stores none of the batch (the caller moves nothing; the messages are fetched again)."""
        with transaction(self.app.sessions) as session:
            results = store_many(session, items, source="imap", now=self.clock(), config=self.config,
                                 mailbox=self.key, uidvalidity=uidvalidity)  # fmt: skip
            top = max(uid for uid, _ in items)
            state = session.get(MailboxState, self.key)
            if state is None:
                session.add(MailboxState(mailbox=self.key, uidvalidity=uidvalidity, last_uid=top))
            elif state.uidvalidity != uidvalidity:
                state.uidvalidity, state.last_uid = uidvalidity, top
            elif top > state.last_uid:
                state.last_uid = top
        # Committed: from here on a crash leaves the messages in the folder, found again as leftovers.
        return results

    def _move(self, folder: str, uids: list[int], inbound_ids: list[int]) -> None:
        target = self.server_names[folder]
        if self.method == "move":
            self.client.move(uids, target)
        else:
            self.client.copy(uids, target)
            self.client.add_flags(uids, [DELETED])
            self._expunge(uids)
        with transaction(self.app.sessions) as session:
            session.execute(
                update(InboundMessage).where(InboundMessage.id.in_(set(inbound_ids))).values(server_folder=folder)
            )
        self.counters.add_moved(folder, len(uids))

    def _expunge(self, uids: list[int]) -> None:
        if self.method == "uidplus":
            self.client.uid_expunge(uids)
        else:
            self.client.expunge()  # without UIDPLUS: every message flagged \Deleted in the folder goes

    # waiting for mail

    def _announced(self) -> bool:
        """Whether imaplib kept an EXISTS or RECENT answer for itself (cleared as it is read)."""
        kept = getattr(getattr(self.client, "_imap", None), "untagged_responses", None)
        if not isinstance(kept, dict):
            return False
        return any([kept.pop("EXISTS", None), kept.pop("RECENT", None)])

    def wait_for_mail(self, tick: float) -> None:
        """Until new mail (IDLE) or ``poll_seconds`` (polling), a stop, or the IDLE period ends.

        IDLE too ends after ``poll_seconds`` at the latest, for a pass over the folder: an announcement
        the connection missed (it can happen around a takeover or a server's own resync) then costs one
        poll interval, never the rest of a 25-minute IDLE."""
        imap = self.config.imap
        if not self.can_idle:
            deadline = time.monotonic() + imap.poll_seconds
            while not self.should_stop() and time.monotonic() < deadline:
                self.keep_lease()
                time.sleep(min(tick, max(0.0, deadline - time.monotonic())))
            return
        deadline = time.monotonic() + min(imap.idle_seconds, imap.poll_seconds)
        self._announced()  # forget what earlier commands' answers said
        self.client.idle()
        quick_empty = 0
        # Mail that arrived since the last SEARCH is announced as IDLE starts, before "+ idling": imaplib
        # files that answer away instead of letting idle_check see it.
        if self._announced():
            self.client.idle_done()
            return
        while not self.should_stop() and time.monotonic() < deadline:
            started = time.monotonic()
            responses = self.client.idle_check(timeout=tick)
            if is_goodbye(responses):  # no DONE to send: the caller drops the connection
                raise ServerGoodbye(f"imap {self.key}: the server closed the connection")
            if has_news(responses):
                break
            # imapclient swallows EOF: a dead connection reads as "readable, nothing said" at once.
            quick_empty = quick_empty + 1 if not responses and time.monotonic() - started < tick / 2 else 0
            if quick_empty >= IDLE_EOF_CHECKS:
                raise ServerGoodbye(f"imap {self.key}: the connection was closed while idling")
            self.keep_lease()
        self.client.idle_done()


class ImapListener:
    """The long-running consumer: lease, connect, process pending, cycle and wait, reconnect on errors."""

    def __init__(
        self,
        app: App,
        rules: RuleSet,
        *,
        clock: Clock = utc_now,
        connect: Connect = connect_imap,
        stop: threading.Event | None = None,
        backoff_base: float = 1.0,
        tick: float = 0.5,
        owner: str | None = None,
    ) -> None:
        self.app = app
        self.rules = rules
        self.clock = clock
        self.connect = connect
        self.stop = stop or threading.Event()
        self.backoff_base = backoff_base
        self.tick = tick
        imap = app.config.imap
        self.lease = Lease(app.sessions, lease_name(imap), imap.lock_seconds, owner=owner)
        self.lease_retry = max(0.05, min(10.0, imap.lock_seconds / 4))
        self.counters = Counters()
        self.failures = 0
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
                    delay = backoff_seconds(self.failures, base=self.backoff_base,
                                            cap=self.app.config.imap.backoff_max_seconds)  # fmt: skip
                    log.warning("imap %s: %s: %s; reconnecting in %.1f s (failure %d)", self.key,
                                type(exc).__name__, exc, delay, self.failures)  # fmt: skip
                    self.stop.wait(delay)
        finally:
            try:
                self.lease.release()
            except Exception as exc:  # the lease then simply expires
                log.warning("imap %s: could not release the lease: %s", self.key, exc)
            log.info("imap %s: listener stopped (%s)", self.key, self.counters)

    def _connected(self) -> None:
        client = self.connect(self.app.config.imap)
        self.counters.connections += 1
        try:
            conn = MailboxConnection(self.app, self.rules, client, clock=self.clock, counters=self.counters,
                                     should_stop=self.stop.is_set, keep_lease=self._keep_lease)  # fmt: skip
            log.info("imap %s: connected (%s, %s)", self.key, "IDLE" if conn.can_idle else "polling", conn.method)
            process_pending(self.app, self.clock(), self.rules, limit=PENDING_AT_START)
            while not self.stop.is_set():
                conn.catch_up()
                self.failures = 0
                conn.wait_for_mail(self.tick)
        finally:
            _close(client)

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

    try:
        client = connect(imap)
        try:
            conn = MailboxConnection(app, rules, client, clock=clock, counters=counters, keep_lease=keep)
            process_pending(app, clock(), rules, limit=PENDING_AT_START)
            conn.cycle()
        finally:
            _close(client)
    finally:
        lease.release()
    return counters


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception as exc:
            log.debug("imap: closing the connection: %s", exc)
