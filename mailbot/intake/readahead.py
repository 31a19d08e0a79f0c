"""Reading ahead: the next fetched batch is redacted and read in a worker process meanwhile.

The IMAP intake spends part of each message on pure work on bytes (``prepare.prepare_raw``: card numbers
redacted, envelope read, dedup key; ``understand.read_message``: parse, classify, split the reply,
extract) and the rest in the database. With ``inbound.read_ahead`` on, ``Prereader`` sends batch N+1's
raw bytes to ONE worker process while the listener stores and processes batch N, so the second core
does the reading. What comes back (``PreRead``: the ``Prepared`` message, without its ``email`` parse,
and its ``Reading``) only spares work: ``store.store_many`` stores the very redacted bytes and card
flag the worker prepared, deduplicated by the same key, and ``pipeline.process_many`` uses a reading
only for a stored copy byte for byte equal to what was read. Anything the worker could not do is done
in the listener's own process, as without it:
- a message whose preparation or reading raised in the worker has no ``PreRead`` (or no ``Reading``):
  the normal path prepares or reads it again and fails the same way (quarantined with its ticket);
- a worker that dies (or a result that cannot come back) turns reading ahead off for the rest of the
  listener's life, with a warning; that batch is read in-process.

The worker is started when a pass finds more than one batch waiting (a single batch gains nothing
from a second process: the listener would only wait for it) and shut down by ``close`` when the
listener or the drain stops. It is a ``spawn`` process: the listener runs in a thread beside others,
and a fork would copy their locks. Starting it takes a while (a new interpreter importing mailbot:
about half a second here); until it has (``warm_up`` came back), ``submit`` answers None and the
listener reads those batches itself rather than wait for it.

Once it runs, the worker reads the first ``Prereader.share`` of each batch and the listener the rest,
whatever has no answer being read in-process as above. The share follows who waits: an answer the
listener had to wait for lowers it by ``SHARE_STEP`` (down to ``MIN_SHARE``), one ready when asked
raises it (up to the whole batch), so neither process idles while the other has work.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace

from mailbot.intake.prepare import Prepared, prepare_raw
from mailbot.process import settle
from mailbot.understand.reading import Reading, read_message, with_rule_checks
from mailbot.understand.rules import RuleSet

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreRead:
    """One message as the worker left it: ready to store, and read (``reading`` None if that raised)."""

    prepared: Prepared  # ``parsed`` is None: an ``email`` parse is not worth sending back
    reading: Reading | None


def pre_read(
    raws: Sequence[bytes], own_addresses: frozenset[str], rules: RuleSet | None = None
) -> list[PreRead | None]:
    """What the worker runs (pure): ``prepare_raw`` then ``read_message`` on the redacted bytes, per
    message, and the ``rules`` checked on each reading but for the customer's kind (``decide``
    finishes them once the message is matched).

    Never raises for a message: one whose preparation raised is None, one whose reading raised has no
    reading; the normal path then does that work again and meets the same error where it is handled."""
    out: list[PreRead | None] = []
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
        out.append(PreRead(replace(prepared, parsed=None), reading))
    return out


@dataclass(frozen=True)
class Ahead:
    """A batch handed to the worker: it reads the first ``taken`` of its ``count`` messages."""

    future: Future[list[PreRead | None]]
    taken: int
    count: int


# The part of each batch the worker reads (``Prereader.share``) moves by this step, down to MIN_SHARE.
SHARE_STEP = 0.05
MIN_SHARE = 0.2


def warm_up() -> bool:
    """The worker's first task: done once the process has started and imported what reading needs,
    which then stays out of the garbage collector's way (``process.settle``)."""
    settle()
    return True


Work = Callable[[Sequence[bytes], frozenset[str], RuleSet | None], list[PreRead | None]]


class Prereader:
    """One worker process that reads the next batch ahead; ``close`` when done (idempotent)."""

    def __init__(
        self,
        own_addresses: frozenset[str],
        *,
        enabled: bool = True,
        work: Work = pre_read,
        starting: Callable[[], bool] = warm_up,
    ) -> None:
        self.own_addresses = own_addresses
        self.enabled = enabled
        self.work = work  # run in the worker: a module-level function (it is sent by name)
        self.starting = starting  # the worker's first task, likewise
        self._pool: ProcessPoolExecutor | None = None
        self._started: Future[bool] | None = None  # ``warm_up`` in the worker
        # The part of each batch sent to the worker; the caller reads the rest itself (see ``result``).
        self.share = 1.0

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

    def submit(self, raws: Sequence[bytes], rules: RuleSet | None = None) -> Ahead | None:
        """Start reading the first ``share`` of ``raws`` in the worker (and checking ``rules`` on them);
        None when reading ahead is off or the worker is still starting (the caller reads them itself)."""
        self.start()
        if not self.enabled or self._pool is None or not self.ready():
            return None
        taken = min(len(raws), max(1, round(len(raws) * self.share)))
        try:
            future = self._pool.submit(self.work, list(raws[:taken]), self.own_addresses, rules)
        except Exception as exc:  # a pool already broken (the worker died)
            self._give_up(exc)
            return None
        return Ahead(future, taken, len(raws))

    def result(self, ahead: Ahead | None) -> list[PreRead | None] | None:
        """The worker's answer for a batch, with None for each message it was not given (the caller
        reads those itself, as any it could not read); None: read them all in this process.

        Whether the answer was still being worked on when asked for balances the two processes: then
        the caller would wait, idle, so the worker is given a smaller part of the next batches and
        the caller reads the rest meanwhile; when it was ready, a larger part (see ``share``)."""
        if ahead is None:
            return None
        behind = not ahead.future.done()
        try:
            found = ahead.future.result()
        except Exception as exc:  # the worker died (BrokenProcessPool), or the answer could not come back
            self._give_up(exc)
            return None
        if len(found) != ahead.taken:  # never expected; the caller must not pair them with the wrong messages
            self._give_up(ValueError(f"{len(found)} answers for {ahead.taken} messages"))
            return None
        self.share = min(1.0, max(MIN_SHARE, self.share + (-SHARE_STEP if behind else SHARE_STEP)))
        return [*found, *[None] * (ahead.count - ahead.taken)]

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
