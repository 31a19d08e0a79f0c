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
from urllib.parse import urlsplit

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from mailbot.act.pipeline import process_pending
from mailbot.act.reply_cap import prune_reply_allowances
from mailbot.app import App
from mailbot.billing.invoices import run_invoicing
from mailbot.cli.exits import database_label
from mailbot.config import Config, MailConfig, PaymentsConfig
from mailbot.db.engine import transaction
from mailbot.intake.imap.listener import ImapListener, Pacing
from mailbot.intake.maildir import MaildirResult, poll_maildir
from mailbot.outbound.drain import DrainResult, drain_until_empty
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
            self.listener = ImapListener(app, self.rules, pacing=Pacing(clock=clock), stop=self.imap_stop)
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
        await asyncio.to_thread(run_reminder_sweep, self.app, self.clock())  # it logs what it enqueued
        self._drain_soon()
        await asyncio.to_thread(self._prune_reply_allowances)

    def _prune_reply_allowances(self) -> None:
        with transaction(self.app.sessions) as session:
            pruned = prune_reply_allowances(session, self.app.config, self.clock())
        if pruned:
            log.info("daily reply cap: %d rows of past days pruned", pruned)

    async def sweep_payments(self) -> None:
        await asyncio.to_thread(run_payment_sweep, self.app, self.clock())  # it logs what it enqueued
        await asyncio.to_thread(run_invoicing, self.app, self.clock())  # due invoices, PA ones before payment
        self._drain_soon()

    async def drain(self) -> None:
        self._draining = True
        try:
            # Batch after batch until nothing due is left: a sweep's 10,000 emails go out at the
            # drain's speed, not one batch per interval.
            result = await drain_until_empty(self.app, self.sender, self.clock, stop=self.stopping)
        finally:
            self._draining = False
        if result.claimed or result.cancelled or result.failed:
            log.info("drain: %s", describe_drain(result))

    async def process_pending(self) -> None:
        outcomes = await asyncio.to_thread(process_pending, self.app, self.clock(), self.rules)
        if outcomes:
            log.info("pending inbound: %d processed", len(outcomes))
            self._drain_soon()

    async def poll_maildir(self) -> None:
        result = await asyncio.to_thread(
            poll_maildir, self.app, self.rules, self.clock, should_stop=self.stopping.is_set
        )
        if result.stored or result.duplicates or result.moved or result.unreadable:
            log.info("maildir: %s", describe_maildir(result))
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
        for line in describe_setup(self.app.config):
            log.info("%s", line)
        for line in example_values_in_use(self.app.config):
            log.warning("%s", line)
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
                "%s still running at shutdown (smtp.shutdown_grace_seconds = %g): cutting them off",
                _count(len(late), "job"),
                grace,
            )
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)


def describe_setup(config: Config) -> list[str]:
    """Where ``mailbot run`` works, said at start: the database (its password hidden), where mail comes in,
    where it goes out, and the base URL of the renewal links."""
    imap, smtp = config.imap, config.smtp
    if imap.host:
        intake = f"IMAP {imap.username + '@' if imap.username else ''}{imap.host}:{imap.port} ({imap.security}), "
        intake += f"folder {imap.folder}"
    else:
        intake = f"Maildir {config.path(config.inbound.maildir).resolve()} (no imap.host)"
    if smtp.host:
        outgoing = f"SMTP {smtp.host}:{smtp.port} ({smtp.security})"
    else:
        outgoing = f".eml files in {config.path(config.mail.outbox_dir).resolve()} (no smtp.host: nothing is sent)"
    return [
        f"database: {database_label(config.database.url)}",
        f"incoming mail: {intake}",
        f"outgoing mail: {outgoing}, from {config.mail.from_address}",
        f"renewal links: {config.links.base_url}",
    ]


EXAMPLE_IBAN = PaymentsConfig().iban  # the values of config.example.toml (the built-in defaults)
EXAMPLE_DOMAIN = MailConfig().message_id_domain


def example_values_in_use(config: Config) -> list[str]:
    """One line for each example value of ``config.example.toml`` still in use: customers must not be told
    to pay into the example IBAN, nor sent links and addresses of the example domain."""
    lines = []
    if config.payments.iban.replace(" ", "").upper() == EXAMPLE_IBAN:
        lines.append(f"payments.iban is still the example IBAN {EXAMPLE_IBAN}: payment emails give it to customers")
    keys = {
        "mail.from_address": config.mail.from_address,
        "mail.reply_to": config.mail.reply_to,
        "mail.message_id_domain": config.mail.message_id_domain,
        "mail.support_address": config.mail.support_address,
        "links.base_url": config.links.base_url,
        "payments.paypal_url": config.payments.paypal_url,
    }
    example = [key for key, value in keys.items() if _is_example(_domain(value))]
    if example:
        lines.append(f"{', '.join(example)}: still the example domain {EXAMPLE_DOMAIN} of config.example.toml")
    return lines


def _domain(value: str) -> str:
    """The domain of an address (``a@b.it``), a URL (``https://b.it/x``) or a bare domain, lower-cased."""
    if "://" in value:
        return (urlsplit(value).hostname or "").lower()
    return value.rpartition("@")[2].strip().lower()


def _is_example(domain: str) -> bool:
    return domain == EXAMPLE_DOMAIN or domain.endswith("." + EXAMPLE_DOMAIN)


def describe_drain(result: DrainResult) -> str:
    """What a drain did, in words: ``12 sent, 1 to retry later``; the parts that are zero are left out."""
    parts = [
        (result.sent, "sent"),
        (result.retried, "to retry later"),
        (result.failed - result.undeliverable, "failed"),
        (result.undeliverable, "failed, the address undeliverable"),
        (result.cancelled, "cancelled (the address is undeliverable)"),
        (result.released, "put back unsent"),
        (result.lost, "sent, but another drain had taken them over"),
    ]
    said = [f"{n} {what}" for n, what in parts if n]
    if result.recovered:
        said.append(f"{_count(result.recovered, 'email')} taken over from an expired lease")
    return f"{_count(result.claimed, 'email')} taken: " + (", ".join(said) or "nothing sent")


def describe_maildir(result: MaildirResult) -> str:
    """What a Maildir poll did, in words: ``3 messages stored, 1 duplicate; moved: 3 to cur``."""
    said = [_count(result.stored, "message") + " stored"]
    if result.duplicates:
        said.append(_count(result.duplicates, "duplicate"))
    if result.moved:
        said.append("moved " + ", ".join(f"{n} to {folder}" for folder, n in sorted(result.moved.items())))
    if result.waiting:
        said.append(f"{result.waiting} left for a retry")
    if result.unreadable:
        said.append(f"{_count(len(result.unreadable), 'file')} unreadable ({', '.join(result.unreadable)})")
    return ", ".join(said)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun if n == 1 else noun + 's'}"
