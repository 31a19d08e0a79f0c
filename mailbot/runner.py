"""``mailbot run``: one asyncio process running the scheduled jobs until SIGTERM.

Jobs (APScheduler 3, in the configured time zone):
- the reminder sweep, daily at ``schedule.sweep_time`` and once at start (it also prunes the daily
  reply cap's rows of past days);
- the unpaid-order sweep, every ``schedule.payment_check_minutes`` and once at start;
- the outbox drain, every ``schedule.drain_interval_seconds`` (and right after each sweep), sending
  batch after batch until nothing due is left;
- getting mail in: when ``imap.host`` is set, the IMAP listener (``inbound.imap``) runs in a thread for
  the whole life of the process; otherwise ``inbound.maildir`` is read every
  ``schedule.maildir_interval_seconds``;
- stored messages still waiting to be processed (a temporary failure, a crash) are processed every
  ``schedule.pending_interval_seconds`` and once at start.

The sweeps only insert outbox rows (database work, run in a thread); the drain sends them. On
SIGTERM or SIGINT the scheduler stops starting runs (it is paused, not shut down: APScheduler's
shutdown cancels the runs under way, and a send cancelled after the server took the message would go
out again), and the jobs under way finish for up to ``smtp.shutdown_grace_seconds``: a drain claims
no more rows, lets the sends in flight end and records them, and releases the rows it holds but has
not started; an intake finishes the message in hand, so every message is either untouched on the
server or stored. What is still running after the grace (or at a second signal) is cancelled, with a
warning and no traceback. Then the IMAP listener logs out and releases its lease, the SMTP
connections close, and the process exits 0. Nothing is lost: whatever was not sent stays in the
outbox, whatever was not read stays in the mailbox, for the next start.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from mailbot.act.pipeline import process_pending
from mailbot.act.reply_cap import prune_reply_allowances
from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.intake.imap.listener import ImapListener
from mailbot.intake.maildir import poll_maildir
from mailbot.outbound.drain import drain_until_empty
from mailbot.outbound.payments import run_payment_sweep
from mailbot.outbound.senders import Sender
from mailbot.outbound.sweep import run_reminder_sweep
from mailbot.paths import rules_dir
from mailbot.understand.rules import RuleSet, load_rules

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class Runner:
    def __init__(self, app: App, sender: Sender, clock: Clock = system_clock, rules: RuleSet | None = None) -> None:
        self.app = app
        self.sender = sender
        self.clock = clock
        self.rules = rules if rules is not None else load_rules(rules_dir())
        app.renderer.compile_all()  # a broken template stops the start, not the first email needing it
        self.imap_stop = threading.Event()
        self.listener: ImapListener | None = None
        if app.config.imap.host:
            self.listener = ImapListener(app, self.rules, clock=clock, stop=self.imap_stop)
        self._listener_task: asyncio.Task[None] | None = None
        self.stopping = asyncio.Event()
        self.hurry = asyncio.Event()  # a second signal: stop waiting for the jobs under way
        self._running: set[asyncio.Task[None]] = set()
        self._draining = False
        self.scheduler = AsyncIOScheduler(timezone=app.config.tz)

    def schedule(self) -> None:
        cfg = self.app.config
        now = self.clock()
        at = cfg.schedule.sweep_time
        sweep_at = CronTrigger(hour=at.hour, minute=at.minute, timezone=cfg.tz)
        self._add("reminders", "reminder sweep", self.sweep_reminders, sweep_at, now, misfire_grace_time=3600)
        self._add(
            "payments",
            "payment sweep",
            self.sweep_payments,
            IntervalTrigger(minutes=cfg.schedule.payment_check_minutes, timezone=cfg.tz),
            now,
        )
        self._add(
            "drain",
            "outbox drain",
            self.drain,
            IntervalTrigger(seconds=cfg.schedule.drain_interval_seconds, timezone=cfg.tz),
            None,
        )
        self._add(
            "pending",
            "pending inbound messages",
            self.process_pending,
            IntervalTrigger(seconds=cfg.schedule.pending_interval_seconds, timezone=cfg.tz),
            now,
        )
        if self.listener is None:
            self._add(
                "maildir",
                "maildir intake",
                self.poll_maildir,
                IntervalTrigger(seconds=cfg.schedule.maildir_interval_seconds, timezone=cfg.tz),
                now,
            )

    def _add(
        self,
        name: str,
        label: str,
        work: Callable[[], Awaitable[None]],
        trigger: BaseTrigger,
        first_run: datetime | None,
        **options: Any,
    ) -> None:
        """One job ``name``, never two runs of it at once, missed runs coalesced; ``first_run``: also at once."""
        if first_run is not None:
            options["next_run_time"] = first_run
        self.scheduler.add_job(
            self._job(name, work), trigger, id=name, name=label, max_instances=1, coalesce=True, **options
        )

    def _job(self, name: str, work: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """Wrap a job: skip once stopping, track it for a clean shutdown, log and survive failures."""

        async def run() -> None:
            if self.stopping.is_set():
                return
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                await work()
            except Exception:
                log.exception("job %s failed; it runs again at its next time", name)
            except asyncio.CancelledError:
                if not self.stopping.is_set():
                    raise
                log.warning("job %s cut off at shutdown", name)  # said once, without a traceback
            finally:
                self._running.discard(task)

        return run

    async def sweep_reminders(self) -> None:
        result = await asyncio.to_thread(run_reminder_sweep, self.app, self.clock())
        log.info("reminder sweep: %d enqueued, %d already there, %d suppressed", *_counts(result))
        self._drain_soon()
        await asyncio.to_thread(self._prune_reply_allowances)

    def _prune_reply_allowances(self) -> None:
        with transaction(self.app.sessions) as session:
            pruned = prune_reply_allowances(session, self.app.config, self.clock())
        if pruned:
            log.info("daily reply cap: %d rows of past days pruned", pruned)

    async def sweep_payments(self) -> None:
        result = await asyncio.to_thread(run_payment_sweep, self.app, self.clock())
        log.info("payment sweep: %d enqueued, %d already there, %d suppressed", *_counts(result))
        self._drain_soon()

    async def drain(self) -> None:
        self._draining = True
        try:
            # Batch after batch until nothing due is left: a sweep's 10,000 emails go out at the
            # drain's speed, not one batch per interval.
            result = await drain_until_empty(self.app, self.sender, self.clock, stop=self.stopping)
        finally:
            self._draining = False
        if result.claimed:
            log.info("drain: %s", result)

    async def process_pending(self) -> None:
        outcomes = await asyncio.to_thread(process_pending, self.app, self.clock(), self.rules)
        if outcomes:
            log.info("pending inbound: %d processed", len(outcomes))
            self._drain_soon()

    async def poll_maildir(self) -> None:
        result = await asyncio.to_thread(
            poll_maildir, self.app, self.rules, self.clock, should_stop=self.stopping.is_set
        )
        if result.stored or result.duplicates or result.moved:
            log.info("maildir: %s", result)
            self._drain_soon()  # send the replies at once

    def _drain_soon(self) -> None:
        """Send what a sweep just enqueued now rather than at the next interval (unless a drain runs)."""
        if self.stopping.is_set() or self._draining or self.scheduler.get_job("drain") is None:
            return
        self.scheduler.modify_job("drain", next_run_time=self.clock())

    async def run_until_stopped(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop, sig)
        self.schedule()
        self.scheduler.start()
        if self.listener is not None:
            self._listener_task = asyncio.create_task(asyncio.to_thread(self.listener.run))
        log.info("mailbot running (time zone %s); SIGTERM stops it cleanly", self.app.config.general.timezone)
        try:
            await self.stopping.wait()
        finally:
            await self.shutdown()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    def request_stop(self, sig: signal.Signals | None = None) -> None:
        if self.stopping.is_set():
            if sig is not None:
                log.warning("received %s again: cutting off the jobs under way", sig.name)
            self.hurry.set()
            return
        if sig is not None:
            grace = self.app.config.smtp.shutdown_grace_seconds
            log.info("received %s: finishing the jobs under way (up to %g s)", sig.name, grace)
        self.stopping.set()
        self.imap_stop.set()

    async def shutdown(self) -> None:
        self.stopping.set()
        self.imap_stop.set()
        if self.scheduler.running:
            self.scheduler.pause()  # no new runs; its shutdown would cancel the runs under way
        await self.finish_jobs(self.app.config.smtp.shutdown_grace_seconds)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._listener_task is not None:
            await asyncio.gather(self._listener_task, return_exceptions=True)
        await self.sender.close()
        log.info("mailbot stopped")

    async def finish_jobs(self, grace: float) -> None:
        """Wait up to ``grace`` seconds (less at a second signal) for the runs under way, then cancel
        the rest: a drain cut off writes the outcomes it has, releases the rows it has not started and
        leaves the sends without an answer ``sending``, to go out again after their lease."""
        running = set(self._running)
        if not running:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        hurry = asyncio.create_task(self.hurry.wait())
        try:
            waiting = set(running)
            while waiting and not hurry.done() and (left := deadline - loop.time()) > 0:
                done, _ = await asyncio.wait({*waiting, hurry}, timeout=left, return_when=asyncio.FIRST_COMPLETED)
                waiting -= done
        finally:
            hurry.cancel()
        late = [task for task in running if not task.done()]
        if late:
            log.warning(
                "%d job(s) still running at shutdown (smtp.shutdown_grace_seconds = %g): cutting them off",
                len(late),
                grace,
            )
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)


def _counts(result: object) -> tuple[int, int, int]:
    return (
        int(getattr(result, "enqueued", 0)),
        int(getattr(result, "already_there", 0)),
        int(getattr(result, "suppressed", 0)),
    )
