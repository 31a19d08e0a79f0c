"""Fault bench: ``kill -9`` a real ``mailbot run`` at random moments while it sends and while it reads mail.

Three scenarios, ``--trials`` kills each. A scenario starts one ``mailbot run`` (a subprocess, ``python -m
mailbot --config FILE run``, in a process group of its own) and gives it two small workloads that are not
killed, to measure how long such work runs once it is seen under way. Then, per trial: a fresh small
workload; as soon as the process is seen working on it (a first row claimed, or stored), a random delay
between 0 and that duration, then SIGKILL to the process group (as systemd's ``KillMode=control-group``
does: the reading worker dies with it); a new ``mailbot run`` is started and left to finish the work (it
is the running process of the next trial). So the kill lands after Python's start-up, while work is in
flight; the bound shrinks after a kill that found the work finished, and the line says how many kills
found it unfinished ("in flight").

1. **sending**: a few dozen new customers, each with a service 30 days from expiry; the reminder sweep
   (run here, as the daily sweep would) enqueues their reminders and the drain of ``mailbot run`` sends
   them (``smtp.batch_size`` 10, two connections, leases of 2 s) to an aiosmtpd sink in this process that
   counts deliveries per Message-ID and answers DATA after 30 ms. At each kill, the rows still
   ``sending`` whose Message-ID the sink had accepted are the SMTP-accepted window: sent again after the
   lease (at-least-once, expected). Lost: a row not ``sent``, or a Message-ID never received; a
   duplicate delivery outside the window is a defect.
2. **maildir**: corpus messages (``tests/corpus``: questions and requests, PA codes, auto-replies, a
   bounce, list mail, a card number), each with a fresh Message-ID and one in three with the reply token
   of a seeded order, delivered into ``inbound.maildir`` as an MTA does (``tmp/``, then ``new/``). Lost:
   a message with no row, or its file in none of the folders. Duplicate rows; duplicate tickets (two
   tickets of the same kind and intent for one message: its ticket opened twice); duplicate replies (two
   outbox rows of one template answering one message); duplicate orders (two orders requested by one
   message); duplicate files; files left in ``new/`` or ``cur/``.
3. **imap**: the same messages appended to a throwaway Dovecot, ``mailbot run`` with ``[imap]``
   (``fetch_batch`` 8: several batches, so the reading worker and the second connection's moves take
   part). Lost: no row, or no copy on the server; duplicate rows, tickets, replies and orders as above;
   duplicate copies on the server, and of those how many fell in the replacement window (a message with
   a card number is not moved but replaced: its redacted copy appended to the target folder, then the
   original deleted; a kill in between leaves both, and the next pass appends the copy again, as
   ``intake.imap.moves.move_uids`` says); messages left in INBOX; rows whose ``server_folder`` is not the
   folder the message is in. Skipped when Dovecot is not installed.

Usage::

    python bench/faults.py [--trials 20] [--db URL] [--seed N] [--keep]

SQLite files in a temporary folder by default; with a PostgreSQL ``--db`` each scenario works in a
schema of its own, dropped at the end. One line per scenario, then as the last line
``faults: N trials, lost 0, duplicate tickets 0, duplicate emails K (window K)``. The exit status is 1
when anything is lost, duplicated (but for duplicates inside their window) or left behind; the folders
and the logs of ``mailbot run`` are then kept (``--keep``: always), and ``--seed`` draws the same delays again.

With 20 trials a scenario the whole run takes about 2.5 minutes on 2 cores (2026-12: SQLite 136 s,
PostgreSQL 147 s), most of it the start-up of 66 ``mailbot run`` processes; docs/faults.md has figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from inbound import AUTHSERV_ID, corpus_messages, seed, sender_of, vary  # bench/inbound.py: the same corpus
from sqlalchemy import ColumnElement, Engine, bindparam, create_engine, func, select

from mailbot.app import App, create_app
from mailbot.config import config_from_dict
from mailbot.db.engine import normalise_url, transaction, upgrade
from mailbot.db.models import AuditEvent, Customer, InboundMessage, OutboundMessage, Product, Service, Ticket
from mailbot.domain import Cadence, CustomerKind, InboundStatus, OutboundStatus, PaymentMethod
from mailbot.intake.maildir import STATUS_FOLDERS
from mailbot.intake.prepare import read_envelope
from mailbot.outbound.smtp_sink import RecordingHandler, start_sink
from mailbot.outbound.sweep import run_reminder_sweep
from mailbot.testing.databases import scratch_database
from mailbot.testing.dovecot import DovecotServer, dovecot_binary, make_server_dir
from mailbot.understand.mime import normalize_message_id

CUSTOMERS_PER_TRIAL = 30  # sending: emails per workload
MESSAGES_PER_TRIAL = 24  # maildir and imap: messages per workload
DATA_DELAY = 0.03  # the sink answers DATA this much later
WORK_TIMEOUT = 90.0  # seconds for a workload to be seen, or to be finished after a restart
POLL = 0.005
WARM_UPS = 2  # workloads per scenario that are not killed: they measure how long one runs
SECRET = "faults-bench-secret-faults-bench-secret"

Raw = dict[str, dict[str, Any]]


# -- the process under test ------------------------------------------------------------------------


class Mailbot:
    """``mailbot run`` with one config file, started again after each kill; its log is appended to a file."""

    def __init__(self, config: Raw, folder: Path) -> None:
        self.config_path = folder / "mailbot.toml"
        self.config_path.write_text(toml_text(config), encoding="utf-8")
        self.log_path = folder / "mailbot.log"
        self.folder = folder
        self.proc: subprocess.Popen[bytes] | None = None
        # Nothing of the caller's environment may point the process elsewhere (MAILBOT_DATABASE_URL...).
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "mailbot", "--config", str(self.config_path), "run"],
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )

    def check(self) -> None:
        """Raise if the process ended by itself (it only ends when killed or stopped here)."""
        if self.proc is not None and self.proc.poll() is not None:
            raise SystemExit(f"faults: mailbot run exited with {self.proc.returncode}:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL to the process group (the reading worker too), and reap it."""
        proc, self.proc = self.proc, None
        if proc is not None:
            self._signal_group(proc, signal.SIGKILL)
            proc.wait()

    def stop(self) -> None:
        """SIGTERM (it is idle by then), SIGKILL if it does not stop in time."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        self._signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            self._signal_group(proc, signal.SIGKILL)
            proc.wait()

    @staticmethod
    def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(proc.pid, sig)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def toml_text(config: Raw) -> str:
    """The config as TOML (sections of scalars: all this bench needs)."""
    out: list[str] = []
    for section, values in config.items():
        out.append(f"[{section}]")
        out.extend(f"{key} = {_toml_value(value)}" for key, value in values.items())
    return "\n".join(out) + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wait_for(ready: Callable[[], bool], mailbot: Mailbot, what: str, poll: float = POLL) -> None:
    deadline = time.monotonic() + WORK_TIMEOUT
    while not ready():
        mailbot.check()
        if time.monotonic() > deadline:
            raise SystemExit(f"faults: no {what} within {WORK_TIMEOUT:.0f} s:\n{mailbot.log_tail()}")
        time.sleep(poll)


# -- trials ------------------------------------------------------------------------------------------


class Scenario(Protocol):
    name: str

    def add_work(self) -> None: ...  # a fresh workload
    def is_working(self) -> bool: ...  # the process is seen working on it
    def is_done(self) -> bool: ...  # the workload is finished
    def after_kill(self) -> None: ...  # the process is dead: what the database and servers hold now
    def figures(self) -> Figures: ...  # everything counted, once the last process has stopped


@dataclass
class Figures:
    name: str
    items: int = 0  # emails or messages in all the workloads
    kills: int = 0
    in_flight: int = 0  # kills that found the workload unfinished
    lost: int = 0
    duplicate_rows: int = 0
    duplicate_tickets: int = 0
    duplicate_replies: int = 0
    duplicate_orders: int = 0
    duplicate_emails: int = 0  # sending: deliveries beyond the first
    window: int = 0  # of those, of a message the server had accepted while its row was still "sending"
    duplicate_copies: int = 0  # files or server copies beyond the first
    copies_window: int = 0  # imap: of those, of a message whose copy was in its folder and original in INBOX
    left: int = 0  # left in new/ and cur/, or in INBOX
    misplaced: int = 0  # imap: server_folder is not where the message is
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        duplicates = (self.duplicate_rows, self.duplicate_tickets, self.duplicate_replies, self.duplicate_orders)
        outside = (self.duplicate_emails - self.window, self.duplicate_copies - self.copies_window)
        return bool(self.lost or any(duplicates) or any(outside) or self.left or self.misplaced)

    def line(self) -> str:
        head = f"{self.name}: {self.kills} kills ({self.in_flight} in flight), {self.items} "
        if self.name == "sending":
            return head + (
                f"emails, lost {self.lost}, duplicate emails {self.duplicate_emails} "
                f"(window {self.window}), {self.seconds:.0f} s"
            )
        text = head + (
            f"messages, lost {self.lost}, duplicate rows {self.duplicate_rows}, duplicate tickets "
            f"{self.duplicate_tickets}, duplicate replies {self.duplicate_replies}, duplicate orders "
            f"{self.duplicate_orders}, duplicate copies {self.duplicate_copies}"
        )
        if self.name == "imap":
            text += f" (window {self.copies_window}), left in INBOX {self.left}, server_folder wrong {self.misplaced}"
        else:
            text += f", left in new/ and cur/ {self.left}"
        return text + f", {self.seconds:.0f} s"


def run_trials(scenario: Scenario, mailbot: Mailbot, trials: int, rng: random.Random) -> Figures:
    """Start; ``WARM_UPS`` workloads not killed (how long the work runs once seen bounds the random delay);
    then ``trials`` times: workload, seen working, random delay, SIGKILL, restart, finished. The bound
    shrinks after a kill that found the work finished and grows a little after one that did not, so
    about four kills in five land in flight, the latest near the end of the work."""
    start = time.perf_counter()
    mailbot.start()
    try:
        spans = []
        for _ in range(WARM_UPS):
            scenario.add_work()
            wait_for(scenario.is_working, mailbot, f"{scenario.name} work seen")
            seen = time.perf_counter()
            wait_for(scenario.is_done, mailbot, f"{scenario.name} work finished")
            spans.append(time.perf_counter() - seen)
        span = min(spans)
        in_flight = 0
        for _ in range(trials):
            scenario.add_work()
            wait_for(scenario.is_working, mailbot, f"{scenario.name} work seen")
            time.sleep(rng.uniform(0, span))
            mailbot.kill()
            unfinished = not scenario.is_done()
            in_flight += unfinished
            span *= 1.05 if unfinished else 0.8
            scenario.after_kill()
            mailbot.start()
            wait_for(scenario.is_done, mailbot, f"{scenario.name} work finished after a restart", poll=0.05)
    finally:
        mailbot.stop()
    figures = scenario.figures()
    figures.kills, figures.in_flight = trials, in_flight
    figures.seconds = time.perf_counter() - start
    return figures


def base_config(folder: Path, db_url: str) -> Raw:
    return {
        "general": {"data_dir": str(folder)},
        "database": {"url": db_url},
        "links": {"secret": SECRET},
        # Short intervals and leases: a restarted process takes over in about its start-up time.
        "schedule": {"drain_interval_seconds": 0.2, "maildir_interval_seconds": 0.2, "pending_interval_seconds": 2.0},
        "smtp": {"lease_seconds": 2.0, "retry_base_seconds": 0.5},
        # Every message that asks gets its reply: the duplicate-reply count then means something.
        "inbound": {"max_auto_replies_per_day": 100000, "authserv_id": AUTHSERV_ID},
    }


def run_scenario(
    config: Raw, folder: Path, trials: int, rng: random.Random, make: Callable[[App, Engine], Scenario]
) -> Figures:
    """The schema, the scenario ``make`` builds (with an app for seeding, an engine for looking), its trials."""
    url = config["database"]["url"]
    upgrade(url)
    app = create_app(config_from_dict(config))
    # Only reads, beside the process under test: no ``BEGIN IMMEDIATE`` on SQLite (``make_engine``'s).
    db = create_engine(normalise_url(url))
    try:
        return run_trials(make(app, db), Mailbot(config, folder), trials, rng)
    finally:
        db.dispose()
        app.close()


# -- 1. sending --------------------------------------------------------------------------------------


class CountingSink(RecordingHandler):
    """The aiosmtpd handler: each DATA answered after ``delay``; deliveries counted per Message-ID."""

    def __init__(self, delay: float) -> None:
        super().__init__(keep=False)
        self.delay = delay
        self.received: Counter[str] = Counter()
        self._count_lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        reply = await super().handle_DATA(server, session, envelope)
        if reply.startswith("250"):
            mid = read_envelope(bytes(envelope.original_content or envelope.content)).message_id or "?"
            with self._count_lock:
                self.received[mid] += 1
        return reply

    def counts(self) -> Counter[str]:
        with self._count_lock:
            return Counter(self.received)


class Sending:
    name = "sending"

    def __init__(self, app: App, db: Engine, sink: CountingSink) -> None:
        self.app, self.db, self.sink = app, db, sink
        self.trial = 0
        self.current: list[int] = []  # the customers of the workload under way
        self.customers: list[int] = []  # of every workload
        self.window: set[str] = set()  # Message-IDs accepted by the sink while their row was "sending"
        with transaction(app.sessions) as session:
            product = Product(
                code="FAULTS",
                name="Portale Impianti",
                cadence=Cadence.ANNUAL,
                price_cents=12000,
                max_years=3,
                promo=False,
                bank_transfer_fee_cents=300,
                storage_quota_mb=1024,
            )
            session.add(product)
            session.flush()
            self.product_id = product.id

    def add_work(self) -> None:
        """New customers whose service is due its 30-day reminder today; the sweep enqueues them."""
        now = datetime.now(UTC)
        expiry = now.astimezone(self.app.config.tz).date() + timedelta(days=30)
        ids: list[int] = []
        with transaction(self.app.sessions) as session:
            for i in range(CUSTOMERS_PER_TRIAL):
                ref = f"F{self.trial}-{i}"
                customer = Customer(
                    external_id=ref,
                    kind=CustomerKind.PRIVATE,
                    name=f"Cliente {ref}",
                    email=f"{ref}@faults.example",
                    language="it" if i % 3 else "en",
                )
                session.add(customer)
                session.flush()
                ids.append(customer.id)
                session.add(
                    Service(
                        external_id=ref,
                        customer_id=customer.id,
                        product_id=self.product_id,
                        label=f"Impianto {ref}",
                        username=f"user-{ref.lower()}",
                        expires_on=expiry,
                        autorenew=False,
                        payment_method=PaymentMethod.BANK_TRANSFER,
                        storage_quota_mb=1024,
                        storage_used_mb=10,
                    )
                )
        run_reminder_sweep(self.app, now)
        enqueued = len(self._statuses(ids))
        if enqueued != CUSTOMERS_PER_TRIAL:
            raise SystemExit(f"faults: the sweep enqueued {enqueued} of {CUSTOMERS_PER_TRIAL} reminders")
        self.current = ids
        self.customers += ids
        self.trial += 1

    def _statuses(self, customers: list[int]) -> dict[str, str]:
        """Message-ID (normalised, as the sink reads it) -> status, of the emails to these customers."""
        query = select(OutboundMessage.message_id, OutboundMessage.status).where(
            OutboundMessage.customer_id.in_(bindparam("c", expanding=True))
        )
        with self.db.connect() as conn:
            rows = conn.execute(query, {"c": customers}).all()
        return {normalize_message_id(mid) or mid: str(status) for mid, status in rows}

    def is_working(self) -> bool:
        """A row of the workload claimed (or already sent)."""
        return any(s != OutboundStatus.PENDING for s in self._statuses(self.current).values())

    def is_done(self) -> bool:
        statuses = self._statuses(self.current)
        return all(s not in (OutboundStatus.PENDING, OutboundStatus.SENDING) for s in statuses.values())

    def after_kill(self) -> None:
        time.sleep(2 * self.sink.delay + 0.05)  # a DATA the sink was reading when the client died is counted
        received = self.sink.counts()
        sending = {m for m, s in self._statuses(self.current).items() if s == OutboundStatus.SENDING}
        self.window |= {m for m in sending if received[m]}

    def figures(self) -> Figures:
        received = self.sink.counts()
        statuses = self._statuses(self.customers)
        lost = {m for m, status in statuses.items() if status != OutboundStatus.SENT or not received[m]}
        extra = {m: received[m] - 1 for m in statuses if received[m] > 1}
        return Figures(
            self.name,
            items=len(statuses),
            lost=len(lost),
            duplicate_emails=sum(extra.values()),
            window=sum(n for m, n in extra.items() if m in self.window),
        )


def sending_scenario(db_url: str, folder: Path, trials: int, rng: random.Random) -> Figures:
    sink = CountingSink(DATA_DELAY)
    controller = start_sink(handler=sink)
    try:
        config = base_config(folder, db_url)
        config["smtp"].update(
            {"host": "127.0.0.1", "port": controller.port, "security": "none", "connections": 2, "batch_size": 10}
        )
        return run_scenario(config, folder, trials, rng, lambda app, db: Sending(app, db, sink))
    finally:
        controller.stop()


# -- 2. and 3. receiving ------------------------------------------------------------------------------


class Receiving:
    """What the two intakes share: the workloads of corpus messages, and the counts in the database."""

    name = ""

    def __init__(self, app: App, db: Engine) -> None:
        self.app, self.db = app, db
        self.corpus = [raw for _, raw in corpus_messages()]
        self.tokens = seed(app, [s for raw in self.corpus if (s := sender_of(raw))])
        self.sent = 0
        self.current: set[str] = set()
        self.expected: set[str] = set()

    def next_messages(self) -> list[tuple[str, bytes]]:
        """A fresh workload: (normalised Message-ID, bytes) of the next corpus messages, each its own."""
        out = []
        for _ in range(MESSAGES_PER_TRIAL):
            n = self.sent
            token = self.tokens[n % len(self.tokens)] if n % 3 == 0 else None
            raw = vary(self.corpus[n % len(self.corpus)], n, token)
            out.append((read_envelope(raw).message_id or "?", raw))
            self.sent += 1
        self.current = {mid for mid, _ in out}
        self.expected |= self.current
        return out

    def _rows(self, mids: set[str]) -> list[tuple[int, str, str, str | None]]:
        """(id, Message-ID, status, server_folder) of the rows of these messages."""
        query = select(
            InboundMessage.id, InboundMessage.message_id, InboundMessage.status, InboundMessage.server_folder
        ).where(_message_id_in())
        with self.db.connect() as conn:
            return [(int(i), str(m), str(s), f) for i, m, s, f in conn.execute(query, {"m": sorted(mids)})]

    def is_working(self) -> bool:
        query = select(func.count()).where(_message_id_in())
        with self.db.connect() as conn:
            return bool(conn.scalar(query, {"m": sorted(self.current)}))

    def rows_settled(self) -> bool:
        rows = self._rows(self.current)
        return {m for _, m, _, _ in rows} == self.current and all(s != InboundStatus.RECEIVED for _, _, s, _ in rows)

    def after_kill(self) -> None:
        pass

    def database_figures(self) -> Figures:
        """Lost (no row), duplicate rows, and the effects of processing one message twice."""
        rows = self._rows(self.expected)
        mid_of = {i: m for i, m, _, _ in rows}
        with self.db.connect() as conn:
            tickets = conn.execute(select(Ticket.inbound_id, Ticket.kind, Ticket.intent)).all()
            replies = conn.execute(select(OutboundMessage.details, OutboundMessage.template)).all()
            requested = AuditEvent.action == "order.requested_by_email"
            orders = conn.execute(select(AuditEvent.message_ref).where(requested)).all()
        per_ticket = Counter((mid_of[i], str(k), intent) for i, k, intent in tickets if i in mid_of)
        per_reply = Counter((mid_of[i], t) for d, t in replies if (i := (d or {}).get("inbound_id")) in mid_of)
        per_order = Counter(normalize_message_id(ref) for (ref,) in orders if ref)
        return Figures(
            self.name,
            items=len(self.expected),
            lost=len(self.expected - set(mid_of.values())),
            duplicate_rows=len(rows) - len(set(mid_of.values())),
            duplicate_tickets=_extra(per_ticket),
            duplicate_replies=_extra(per_reply),
            duplicate_orders=_extra({k: n for k, n in per_order.items() if k in self.expected}),
        )


def _message_id_in() -> ColumnElement[bool]:
    return InboundMessage.message_id.in_(bindparam("m", expanding=True))


def _extra(counts: dict[Any, int]) -> int:
    """How many beyond the first, over every key."""
    return sum(n - 1 for n in counts.values() if n > 1)


class MaildirIntake(Receiving):
    name = "maildir"

    def __init__(self, app: App, db: Engine) -> None:
        super().__init__(app, db)
        self.root = app.config.path(app.config.inbound.maildir)
        for sub in ("tmp", "new", "cur"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.files: dict[str, str] = {}  # file name -> Message-ID

    def add_work(self) -> None:
        for mid, raw in self.next_messages():
            name = f"{int(time.time())}.M{len(self.files)}P{os.getpid()}.faults"
            (self.root / "tmp" / name).write_bytes(raw)
            os.replace(self.root / "tmp" / name, self.root / "new" / name)  # as an MTA delivers
            self.files[name] = mid

    def _waiting(self) -> list[str]:
        return [p.name for sub in ("new", "cur") for p in (self.root / sub).iterdir()]

    def is_done(self) -> bool:
        return not self._waiting() and self.rows_settled()

    def figures(self) -> Figures:
        figures = self.database_figures()
        places: Counter[str] = Counter()
        for folder in STATUS_FOLDERS.values():
            for sub in ("new", "cur"):
                if (self.root / folder / sub).is_dir():
                    places.update(p.name.split(":2,")[0] for p in (self.root / folder / sub).iterdir())
        left = [name.split(":2,")[0] for name in self._waiting()]
        no_file = {self.files[n] for n in self.files if not places[n] and n not in left}
        no_row = self.expected - {m for _, m, _, _ in self._rows(self.expected)}
        figures.lost = len(no_file | no_row)
        figures.duplicate_copies = _extra({n: c for n, c in places.items() if n in self.files})
        figures.left = len(left)
        return figures


def maildir_scenario(db_url: str, folder: Path, trials: int, rng: random.Random) -> Figures:
    return run_scenario(base_config(folder, db_url), folder, trials, rng, MaildirIntake)


@dataclass
class ServerView:
    """Where each message is on the IMAP server: folder -> Message-IDs, one per copy."""

    folders: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def read(cls, server: DovecotServer, names: Iterable[str]) -> ServerView:
        view = cls()
        with server.session() as client:
            for name in names:
                view.folders[name] = []
                if not client.folder_exists(name):
                    continue
                client.select_folder(name, readonly=True)
                uids = client.search("ALL")
                fetched = client.fetch(uids, [b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
                for data in fetched.values():
                    header = next((bytes(v) for k, v in data.items() if k.startswith(b"BODY[HEADER.FIELDS")), b"")
                    view.folders[name].append(read_envelope(header).message_id or "?")
        return view


class ImapIntake(Receiving):
    name = "imap"

    def __init__(self, app: App, db: Engine, server: DovecotServer) -> None:
        super().__init__(app, db)
        self.server = server
        imap = app.config.imap
        self.incoming = imap.folder
        self.targets = (imap.processed_folder, imap.review_folder, imap.quarantine_folder)
        self.window: set[str] = set()

    def add_work(self) -> None:
        self.server.append([raw for _, raw in self.next_messages()], self.incoming)

    def after_kill(self) -> None:
        """A message stored with a card number is replaced, not moved: its redacted copy appended to the
        target folder, then the original deleted. Killed in between, the original is replaced again by the
        next pass (``intake.imap.moves.move_uids``): two copies of a message seen in both places now are expected."""
        view = ServerView.read(self.server, (self.incoming, *self.targets))
        incoming = set(view.folders[self.incoming])
        self.window |= {m for name in self.targets for m in view.folders[name] if m in incoming}

    def is_done(self) -> bool:
        return self.rows_settled() and not self.server.uids(self.incoming)

    def figures(self) -> Figures:
        figures = self.database_figures()
        view = ServerView.read(self.server, (self.incoming, *self.targets))
        copies: dict[str, list[str]] = {}
        for name, mids in view.folders.items():
            for mid in mids:
                copies.setdefault(mid, []).append(name)
        rows = self._rows(self.expected)
        no_copy = {m for m in self.expected if not copies.get(m)}
        no_row = self.expected - {m for _, m, _, _ in rows}
        figures.lost = len(no_copy | no_row)
        extra = {m: len(copies[m]) - 1 for m in self.expected if len(copies.get(m, [])) > 1}
        figures.duplicate_copies = sum(extra.values())
        figures.copies_window = sum(n for m, n in extra.items() if m in self.window)
        figures.left = sum(1 for m in view.folders[self.incoming] if m in self.expected)
        figures.misplaced = sum(1 for _, m, _, f in rows if copies.get(m) and f not in copies[m])
        return figures


def imap_scenario(db_url: str, folder: Path, trials: int, rng: random.Random) -> Figures:
    server = DovecotServer(make_server_dir()).start()
    try:
        config = base_config(folder, db_url)
        config["imap"] = {
            "host": server.host,
            "port": server.port,
            "security": "none",
            "username": server.user,
            "password": server.password,
            "fetch_batch": 8,
            "lock_seconds": 2.0,
            "poll_seconds": 1.0,
            "backoff_max_seconds": 1.0,
        }
        return run_scenario(config, folder, trials, rng, lambda app, db: ImapIntake(app, db, server))
    finally:
        server.remove()


# -- main --------------------------------------------------------------------------------------------

SCENARIOS: dict[str, Callable[[str, Path, int, random.Random], Figures]] = {
    "sending": sending_scenario,
    "maildir": maildir_scenario,
    "imap": imap_scenario,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=20, help="kills per scenario (default 20)")
    parser.add_argument("--db", help="database URL (default: SQLite files in a temporary folder)")
    parser.add_argument("--seed", type=int, help="seed of the random delays (default: a random one, printed)")
    parser.add_argument("--keep", action="store_true", help="keep the folders and the logs of mailbot run")
    args = parser.parse_args()
    if args.trials < 1:
        parser.error("--trials: must be at least 1")
    seed_value = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed_value)
    print(f"faults: seed {seed_value}, {args.trials} kills per scenario", flush=True)
    results: list[Figures] = []
    top = Path(tempfile.mkdtemp(prefix="mailbot-faults-"))
    keep = args.keep
    try:
        for name, scenario in SCENARIOS.items():
            if name == "imap" and dovecot_binary() is None:
                print("imap: skipped, dovecot is not installed (Debian: apt-get install dovecot-imapd)")
                continue
            folder = top / name
            folder.mkdir()
            with scratch_database(args.db, folder, f"faults_{name}") as db_url:
                results.append(scenario(db_url, folder, args.trials, rng))
            print(results[-1].line(), flush=True)
            keep = keep or results[-1].failed
    except BaseException:
        keep = True
        raise
    finally:
        if keep:
            print(f"faults: the folders and logs are kept in {top}", file=sys.stderr)
        else:
            shutil.rmtree(top, ignore_errors=True)
    trials = sum(f.kills for f in results)
    emails = sum(f.duplicate_emails for f in results)
    window = sum(f.window for f in results)
    print(
        f"faults: {trials} trials, lost {sum(f.lost for f in results)}, duplicate tickets "
        f"{sum(f.duplicate_tickets for f in results)}, duplicate emails {emails} (window {window})"
    )
    return 1 if any(f.failed for f in results) else 0


if __name__ == "__main__":
    sys.exit(main())
