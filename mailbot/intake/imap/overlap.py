"""Speed, in one corner: the IMAP intake's concurrency, behind one switch (``imap.overlap``).

A pass over the incoming folder handles its fetch batches one after the other: fetch, store (one
COMMIT), process (one transaction), move. Done one step at a time (``connection.MailboxConnection``,
always for a single batch and whenever ``imap.overlap`` is off), each step waits for the last. With
the switch on and more than one batch waiting, ``Overlap.take`` runs the same steps, in the same
order for each batch, but overlapped:

- a worker process reads batch N+1 while batch N is stored and processed (``ReadingWorker``);
- a thread on a second connection moves batch N-1, whose processing has committed (``Mover``);
- a thread fetches batch N+2 on the listener's own connection, which has nothing else to do then
  (``Fetcher``; only while a ``Mover`` has the moves, else the moves need that connection).

None of it changes an outcome; each part only spares time, and each falls back to the plain step:

Reading ahead. The pass spends part of each message on pure work on bytes (``prepare.prepare_raw``:
card numbers redacted, envelope read, dedup key; ``understand.read_message``: parse, classify, split
the reply, extract) and the rest in the database. ``ReadingWorker`` sends batch N+1's raw bytes to ONE
worker process while the listener stores and processes batch N, so the second core does the reading.
What comes back (``PreparedAndRead``: the ``Prepared`` message, without its ``email`` parse, and its
``Reading``) only spares work: ``store.store_many`` stores the very redacted bytes and card flag the
worker prepared, deduplicated by the same key, and ``pipeline.process_many`` uses a reading only for a
stored copy byte for byte equal to what was read. Anything the worker could not do is done in the
listener's own process, as without it:
- a message whose preparation or reading raised in the worker has no ``PreparedAndRead`` (or no
  ``Reading``): the normal path prepares or reads it again and fails the same way (quarantined with
  its ticket);
- a worker that dies (or a result that cannot come back) turns reading ahead off for the rest of the
  listener's life, with a warning; that batch is read in-process.
The worker is started by the first pass that finds more than one batch waiting (a single batch gains
nothing from a second process: the listener would only wait for it) and shut down by ``close`` when
the listener or the drain stops. It is a ``spawn`` process: the listener runs in a thread beside
others, and a fork would copy their locks. Starting it takes a while (a new interpreter importing what
reading needs, nothing of the database: about half a second here); until it has (``warm_up`` came
back), ``submit`` answers None and the listener reads those batches itself rather than wait for it.
Once it runs, the worker reads the first ``ReadingWorker.worker_fraction`` of each batch and the
listener the rest, whatever has no answer being read in-process as above. The fraction follows who
waits: an answer the listener had to wait for lowers it by ``WORKER_FRACTION_STEP`` (down to
``MIN_WORKER_FRACTION``), one ready when asked raises it (up to the whole batch), so neither process
idles while the other has work.

Moving on a second connection. A move waits for the server (about a quarter of a message's time in
the listener, measured with Dovecot), so the pass opens a second connection and a ``Mover`` thread
moves batch N there while batch N+1 is stored and processed. Only the IMAP commands run in the thread:
the listener records where each message went (``inbound_message.server_folder``) when it hands the
moves over, and counts them when it collects them. What does not change:
- a message is moved only after the COMMIT of its processing (a batch's moves are handed over after
  ``process_many`` returned);
- at most one batch's moves are in flight; they are collected before the next are handed over, and
  before the pass ends (so the next SEARCH never sees a message half way);
- a move that fails raises in the listener when collected, as a move on its own connection would:
  the listener reconnects, and the messages still in the folder are moved by their stored status
  (the leftovers of ``connection``);
- the second connection selects the incoming folder and checks its UIDVALIDITY is the one the UIDs
  were fetched under (``UidValidityChanged`` otherwise: the listener reconnects and reads the folder
  again);
- a server that refuses the second connection (a limit on connections per user) costs nothing but
  speed: the pass moves on its own connection, with a warning (``imap.overlap = false`` spares the
  warning, and the worker process with it).

This module imports nothing of the database: the worker process imports it to run ``prepare_and_read``.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Protocol

from imapclient import IMAPClient

from mailbot.intake.imap.moves import Moves, Replacements, UidValidityChanged, close_client, move_uids
from mailbot.intake.prepare import Prepared, prepare_raw
from mailbot.process import freeze_startup_objects
from mailbot.understand.reading import Reading, read_message, with_rule_checks
from mailbot.understand.rules import RuleSet

log = logging.getLogger(__name__)

# A fetched batch: (UID, raw bytes) of each message the server still had.
Fetched = list[tuple[int, bytes]]
# Where a handled batch's messages go: folder (configured name) -> (UID, inbound id) of each going there.
Destinations = dict[str, list[tuple[int, int]]]


class PassSteps(Protocol):
    """The plain steps of a pass over the incoming folder (``connection.MailboxConnection``), which
    ``Overlap.take`` runs overlapped."""

    key: str  # the mailbox, for log lines
    should_stop: Callable[[], bool]

    def fetch(self, batch: Sequence[int]) -> Fetched:
        """UID FETCH one batch, on the listener's connection."""
        ...

    def handle(self, items: Fetched, ahead: Sequence[PreparedAndRead | None] | None, uidvalidity: int) -> Destinations:
        """Store and process a fetched batch (``ahead``: what the worker did of it, by position)."""
        ...

    def move(self, destinations: Destinations) -> None:
        """Move a handled batch on the listener's connection, here and now."""
        ...

    def hand_over(self, destinations: Destinations) -> tuple[Moves, Replacements]:
        """Record where a handled batch goes; what a ``Mover`` is to do on the server."""
        ...

    def collected(self, destinations: Destinations, done: Sequence[str], failed: bool) -> None:
        """The moves handed over ended: ``done`` names the server folders moved to; ``failed``: the
        others did not move."""
        ...


# The reading worker ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedAndRead:
    """One message as the worker left it: prepared to store, and read (``reading`` None if that raised)."""

    prepared: Prepared  # ``parsed`` is None: an ``email`` parse is not worth sending back
    reading: Reading | None


def prepare_and_read(
    raws: Sequence[bytes], own_addresses: frozenset[str], rules: RuleSet | None = None
) -> list[PreparedAndRead | None]:
    """What the worker runs (pure): ``prepare_raw`` then ``read_message`` on the redacted bytes, per
    message, and the ``rules`` checked on each reading but for the customer's kind (``decide``
    finishes them once the message is matched).

    Never raises for a message: one whose preparation raised is None, one whose reading raised has no
    reading; the normal path then does that work again and meets the same error where it is handled."""
    out: list[PreparedAndRead | None] = []
    for raw in raws:
        try:
            prepared = prepare_raw(raw)
        except Exception:
            out.append(None)
            continue
        try:
            reading: Reading | None = read_message(
                prepared.redacted, own_addresses=own_addresses, redacted=True, parsed=prepared.parsed
            )
            if reading is not None and rules is not None:
                reading = with_rule_checks(reading, rules)
        except Exception:
            reading = None
        out.append(PreparedAndRead(replace(prepared, parsed=None), reading))
    return out


@dataclass(frozen=True)
class BatchInWorker:
    """A batch handed to the worker: it reads the first ``taken`` of the batch's ``count`` messages."""

    future: Future[list[PreparedAndRead | None]]
    taken: int
    count: int


# The fraction of each batch the worker reads (``ReadingWorker.worker_fraction``) moves by this step,
# never below MIN_WORKER_FRACTION.
WORKER_FRACTION_STEP = 0.05
MIN_WORKER_FRACTION = 0.2


def warm_up() -> bool:
    """The worker's first task: done once the process has started and imported what reading needs,
    which then stays out of the garbage collector's way (``process.freeze_startup_objects``)."""
    freeze_startup_objects()
    return True


Work = Callable[[Sequence[bytes], frozenset[str], RuleSet | None], list[PreparedAndRead | None]]


class ReadingWorker:
    """One worker process that reads the next batch ahead; ``close`` when done (idempotent)."""

    def __init__(
        self,
        own_addresses: frozenset[str],
        *,
        enabled: bool = True,
        work: Work = prepare_and_read,
        starting: Callable[[], bool] = warm_up,
    ) -> None:
        self.own_addresses = own_addresses
        self.enabled = enabled  # off for good once the worker failed
        self.work = work  # run in the worker: a module-level function (it is sent by name)
        self.starting = starting  # the worker's first task, likewise
        self._pool: ProcessPoolExecutor | None = None
        self._started: Future[bool] | None = None  # ``warm_up`` in the worker
        # The fraction of each batch sent to the worker; the caller reads the rest itself (see ``result``).
        self.worker_fraction = 1.0

    @property
    def started(self) -> bool:
        return self._pool is not None

    def start(self) -> None:
        """Start the worker if it is not running; returns at once (see ``ready``)."""
        if not self.enabled or self._pool is not None:
            return
        try:
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            self._started = self._pool.submit(self.starting)
            log.info("inbound: reading ahead in a worker process")
        except Exception as exc:  # no process to be had
            self._give_up(exc)

    def ready(self, wait: float = 0.0) -> bool:
        """Whether the worker has started (waiting up to ``wait`` seconds for it)."""
        if self._started is None:
            return False
        try:
            self._started.result(timeout=wait)
        except Exception:  # not yet (TimeoutError), or it died starting: ``submit`` finds out
            return self._started.done()
        return True

    def submit(self, raws: Sequence[bytes], rules: RuleSet | None = None) -> BatchInWorker | None:
        """Start reading the first ``worker_fraction`` of ``raws`` in the worker (and checking ``rules``
        on them); None when the worker is off or still starting (the caller reads them itself)."""
        self.start()
        if not self.enabled or self._pool is None or not self.ready():
            return None
        taken = min(len(raws), max(1, round(len(raws) * self.worker_fraction)))
        try:
            future = self._pool.submit(self.work, list(raws[:taken]), self.own_addresses, rules)
        except Exception as exc:  # a pool already broken (the worker died)
            self._give_up(exc)
            return None
        return BatchInWorker(future, taken, len(raws))

    def result(self, submitted: BatchInWorker | None) -> list[PreparedAndRead | None] | None:
        """The worker's answer for a batch, with None for each message it was not given (the caller
        reads those itself, as any it could not read); None: read them all in this process.

        Whether the answer was still being worked on when asked for balances the two processes: then
        the caller would wait, idle, so the worker is given a smaller part of the next batches and
        the caller reads the rest meanwhile; when it was ready, a larger part (``worker_fraction``)."""
        if submitted is None:
            return None
        behind = not submitted.future.done()
        try:
            found = submitted.future.result()
        except Exception as exc:  # the worker died (BrokenProcessPool), or the answer could not come back
            self._give_up(exc)
            return None
        if len(found) != submitted.taken:  # never expected; the caller must not pair them with the wrong messages
            self._give_up(ValueError(f"{len(found)} answers for {submitted.taken} messages"))
            return None
        step = -WORKER_FRACTION_STEP if behind else WORKER_FRACTION_STEP
        self.worker_fraction = min(1.0, max(MIN_WORKER_FRACTION, self.worker_fraction + step))
        return [*found, *[None] * (submitted.count - submitted.taken)]

    def close(self) -> None:
        """Stop the worker: what it is reading is finished and dropped, what waits is cancelled."""
        pool, self._pool, self._started = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _give_up(self, exc: BaseException) -> None:
        log.warning(
            "inbound: reading ahead failed (%s: %s), reading in this process from now on", type(exc).__name__, exc
        )
        self.enabled = False
        self.close()


# The fetching thread -----------------------------------------------------------------------------


class Fetcher:
    """The fetched batches in order, each fetch started as the previous one is taken: in a thread when
    ``in_thread`` (the connection is used by nothing else meanwhile), else when it is asked for."""

    def __init__(self, fetch: Callable[[Sequence[int]], Fetched], batches: Sequence[Sequence[int]], *, in_thread: bool):
        self._fetch = fetch
        self._batches = list(batches)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="imap-fetch") if in_thread else None
        self._next: Future[Fetched] | None = None
        self._start()

    def _start(self) -> None:
        if self._pool is not None and self._batches:
            self._next = self._pool.submit(self._fetch, self._batches.pop(0))

    def next(self) -> Fetched:
        if self._pool is None:
            return self._fetch(self._batches.pop(0))
        if self._next is None:
            raise IndexError("no batch left to fetch")
        found = self._next.result()
        self._start()
        return found

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)  # the fetch in flight ends; its answer (or error) is dropped
            self._pool = None


# The moving thread, on a second connection -------------------------------------------------------


@dataclass
class MoveJob:
    """One batch's moves handed to the mover: ``done`` names the target folders moved so far (those
    went through even when ``future`` raises for a later one)."""

    future: Future[None]
    done: list[str] = field(default_factory=list)


class Mover:
    """A second connection, on the incoming folder, and one thread that moves there; ``close`` when done."""

    def __init__(self, client: IMAPClient, folder: str, uidvalidity: int, method: str) -> None:
        self.client = client
        self.method = method
        self._pool: ThreadPoolExecutor | None = None
        try:
            selected = client.select_folder(folder)
            found = int(selected[b"UIDVALIDITY"])
            if found != uidvalidity:
                raise UidValidityChanged(f"imap folder {folder}: UIDVALIDITY {uidvalidity} became {found}")
        except BaseException:
            close_client(client)
            raise
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="imap-mover")

    @classmethod
    def open(cls, connect: Callable[[], IMAPClient], folder: str, uidvalidity: int, method: str) -> Mover | None:
        """A mover on a new connection, or None when the server will not give one (moves stay inline).

        ``UidValidityChanged`` is raised: the pass must not go on with its UIDs."""
        try:
            return cls(connect(), folder, uidvalidity, method)
        except UidValidityChanged:
            raise
        except Exception as exc:  # refused, or the folder could not be selected there: the pass goes on without
            log.warning(
                "imap: no second connection for moving (%s: %s); moving on the listener's own", type(exc).__name__, exc
            )
            return None

    def submit(self, moves: Moves, replacements: Replacements | None = None) -> MoveJob:
        if self._pool is None:
            raise RuntimeError("the mover is closed")
        done: list[str] = []
        future = self._pool.submit(
            self._move_all, {target: list(uids) for target, uids in moves.items()}, dict(replacements or {}), done
        )
        return MoveJob(future, done)

    def _move_all(self, moves: Mapping[str, list[int]], replacements: Replacements, done: list[str]) -> None:
        for target, uids in moves.items():
            move_uids(self.client, self.method, uids, target, replacements)
            done.append(target)

    def close(self) -> None:
        """Wait for what is in flight (its outcome is the caller's to collect), then log out."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
            close_client(self.client)


# The switch and the overlapped pass --------------------------------------------------------------


class Overlap:
    """One listener's (or drain's) speed machinery: the reading worker, kept from pass to pass, and a
    second connection (made by ``connect``) for each overlapped pass. ``enabled`` is ``imap.overlap``;
    ``close`` when the listener stops (idempotent)."""

    def __init__(
        self, own_addresses: frozenset[str], *, enabled: bool, connect: Callable[[], IMAPClient] | None = None
    ) -> None:
        self.enabled = enabled
        self.connect = connect
        self.worker = ReadingWorker(own_addresses, enabled=enabled)

    def close(self) -> None:
        self.worker.close()

    def take(
        self,
        steps: PassSteps,
        batches: Sequence[Sequence[int]],
        rules: RuleSet,
        *,
        folder: str,
        uidvalidity: int,
        method: str,
    ) -> None:
        """Fetch, store, process and move ``batches`` as ``steps`` do one at a time, overlapped: batch
        N+1 is fetched and handed to the worker before batch N is stored and processed (a stop drops it
        unstored, still in the folder), and batch N's moves go to the second connection's thread while
        batch N+1 is handled (``folder`` is the incoming folder's server name; ``method`` how to move).
        The listener's own connection then has nothing else to do meanwhile, so a thread fetches batch
        N+2 on it."""
        worker = self.worker
        worker.start()  # while the first batch is fetched (it is read in-process until the worker is up)
        mover = Mover.open(self.connect, folder, uidvalidity, method) if self.connect is not None else None
        fetcher = Fetcher(steps.fetch, batches, in_thread=mover is not None)
        waiting: tuple[Fetched, BatchInWorker | None] | None = None
        moving: tuple[MoveJob, Destinations] | None = None
        try:
            for _ in batches:
                if steps.should_stop():
                    return
                items = fetcher.next()
                if not items:
                    continue
                submitted = worker.submit([raw for _, raw in items], rules)
                if waiting is not None:
                    moving = self._moves(steps, self._handle(steps, *waiting, uidvalidity), mover, moving)
                waiting = (items, submitted)
            if waiting is not None and not steps.should_stop():
                moving = self._moves(steps, self._handle(steps, *waiting, uidvalidity), mover, moving)
            self._collect(steps, moving)
            moving = None
        finally:
            fetcher.close()  # waits for a fetch in flight: the connection is this thread's again
            if mover is not None:
                mover.close()  # waits for the moves in flight
            if moving is not None:  # leaving on an error: keep the record of moves that went through
                self._collect_quietly(steps, moving)

    def _handle(
        self, steps: PassSteps, items: Fetched, submitted: BatchInWorker | None, uidvalidity: int
    ) -> Destinations:
        return steps.handle(items, self.worker.result(submitted), uidvalidity)

    def _moves(
        self,
        steps: PassSteps,
        destinations: Destinations,
        mover: Mover | None,
        moving: tuple[MoveJob, Destinations] | None,
    ) -> tuple[MoveJob, Destinations] | None:
        """Collect the moves in flight, then move ``destinations``: handed to ``mover``, or here and now."""
        self._collect(steps, moving)
        if mover is None:
            steps.move(destinations)
            return None
        if not destinations:
            return None
        moves, replacements = steps.hand_over(destinations)
        return mover.submit(moves, replacements), destinations

    @staticmethod
    def _collect(steps: PassSteps, moving: tuple[MoveJob, Destinations] | None) -> None:
        """Wait for moves handed to the mover and tell ``steps``; raise as a move did."""
        if moving is None:
            return
        job, destinations = moving
        try:
            job.future.result()
        except Exception:
            steps.collected(destinations, list(job.done), failed=True)
            raise
        steps.collected(destinations, list(job.done), failed=False)

    def _collect_quietly(self, steps: PassSteps, moving: tuple[MoveJob, Destinations]) -> None:
        try:
            self._collect(steps, moving)
        except Exception as exc:  # the error being raised already says what went wrong
            log.info("imap %s: moves in flight when the pass failed: %s: %s", steps.key, type(exc).__name__, exc)
