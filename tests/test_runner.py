"""``mailbot run``'s scheduler: sweeps at start, the drain sends, SIGTERM stops it with nothing lost."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from mailbot.app import App, create_app
from mailbot.db.models import OutboundMessage, ReplyAllowance
from mailbot.domain import OutboundStatus, PaymentMethod
from mailbot.orders import NewOrder, create_order
from mailbot.outbound.senders import make_sender
from mailbot.runner import Runner
from tests.support.factories import make_customer, make_service
from tests.support.smtp import enqueue_email, sink_handler, smtp_config


async def _wait_for(predicate: object, limit: float = 20.0) -> None:
    """Poll until ``predicate()`` holds; a bound on waiting, not a timing assertion."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():  # type: ignore[operator]
        assert loop.time() < deadline, "gave up waiting"
        await asyncio.sleep(0.05)


def test_runner_sweeps_sends_and_stops_on_sigterm(app: App, smtp_sink: Controller, tmp_path: Path, db_url: str) -> None:
    config = smtp_config(tmp_path, db_url, smtp_sink.port)
    config = replace(config, schedule=replace(config.schedule, drain_interval_seconds=0.2))
    runner_app = create_app(config, engine=app.engine)
    now = datetime.now(UTC)
    today = now.astimezone(config.tz).date()
    with runner_app.sessions.begin() as session:
        due = make_customer(session, email="due@example.org")
        make_service(session, due, expires_on=today + timedelta(days=30))
        payer = make_customer(session, email="payer@example.org")
        service = make_service(session, payer, expires_on=today + timedelta(days=200))
        create_order(
            session,
            runner_app,
            NewOrder(payer, [service], 1, PaymentMethod.BANK_TRANSFER),
            now=now - timedelta(minutes=1),
        )
        make_customer(session, email="quiet@example.org")
    handler = sink_handler(smtp_sink)

    async def scenario() -> None:
        runner = Runner(runner_app, make_sender(config))
        task = asyncio.create_task(runner.run_until_stopped())
        await _wait_for(lambda: handler.count >= 2)
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(task, 20)
        assert runner.stopping.is_set()

    asyncio.run(scenario())
    recipients = sorted(rcpt for _, rcpts, _ in handler.messages for rcpt in rcpts)
    assert recipients == ["due@example.org", "payer@example.org"]
    with runner_app.sessions() as session:
        statuses = {row.to_address: row.status for row in session.scalars(select(OutboundMessage))}
    assert statuses == {"due@example.org": OutboundStatus.SENT, "payer@example.org": OutboundStatus.SENT}


def test_runner_stop_before_anything_is_due_leaves_the_outbox_intact(app: App, tmp_path: Path, db_url: str) -> None:
    from mailbot.outbound.senders import MemorySender

    sender = MemorySender()
    runner = Runner(app, sender)

    async def scenario() -> None:
        task = asyncio.create_task(runner.run_until_stopped())
        await asyncio.sleep(0.3)
        runner.request_stop()
        await asyncio.wait_for(task, 20)

    asyncio.run(scenario())
    assert sender.sent == []
    with app.sessions() as session:
        assert session.scalars(select(OutboundMessage)).all() == []


def test_one_drain_run_sends_every_due_batch(app: App, tmp_path: Path, db_url: str) -> None:
    """A drain run goes on batch after batch until nothing is due, so a large day is not held to one
    ``smtp.batch_size`` per ``schedule.drain_interval_seconds``."""
    from mailbot.outbound.senders import MemorySender

    config = replace(app.config, smtp=replace(app.config.smtp, batch_size=2))
    runner_app = create_app(config, engine=app.engine)
    now = datetime.now(UTC)
    today = now.astimezone(config.tz).date()
    with runner_app.sessions.begin() as session:
        for n in range(7):
            customer = make_customer(session, email=f"due{n}@example.org")
            make_service(session, customer, expires_on=today + timedelta(days=30))
    sender = MemorySender()
    runner = Runner(runner_app, sender)

    async def scenario() -> None:
        await runner.sweep_reminders()
        await runner.drain()

    asyncio.run(scenario())
    assert sorted(m["To"] for m in sender.sent) == sorted(f"due{n}@example.org" for n in range(7))


class GatedSender:
    """Each send waits for ``gate`` (never, if it is never set); ``in_flight`` counts the sends waiting."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.in_flight = 0
        self.sent: list[object] = []

    async def send(self, message: object) -> None:
        self.in_flight += 1
        await self.gate.wait()
        self.in_flight -= 1
        self.sent.append(message)

    async def close(self) -> None:
        return None


def _runner_with_rows(app: App, rows: int, grace: float = 30.0) -> tuple[App, list[str]]:
    smtp = replace(app.config.smtp, connections=2, shutdown_grace_seconds=grace)
    config = replace(app.config, smtp=smtp, schedule=replace(app.config.schedule, drain_interval_seconds=0.1))
    runner_app = create_app(config, engine=app.engine)
    now = datetime.now(UTC)
    with runner_app.sessions.begin() as session:
        customer = make_customer(session)
        ids = [enqueue_email(session, customer, config.mail, now, key=f"k{n}").message_id for n in range(rows)]
    return runner_app, ids


def _states(app: App) -> dict[str, tuple[OutboundStatus, int]]:
    with app.sessions() as session:
        return {r.message_id: (r.status, r.attempts) for r in session.scalars(select(OutboundMessage))}


def test_stop_lets_the_sends_in_flight_finish_records_them_and_releases_the_rest(app: App) -> None:
    runner_app, ids = _runner_with_rows(app, 5)
    sender = GatedSender()
    runner = Runner(runner_app, sender)

    async def scenario() -> None:
        task = asyncio.create_task(runner.run_until_stopped())
        await _wait_for(lambda: sender.in_flight == 2)
        runner.request_stop()
        await asyncio.sleep(0.3)  # the runs under way are not cancelled, and start nothing new
        assert not task.done() and sender.in_flight == 2
        sender.gate.set()
        await asyncio.wait_for(task, 20)

    asyncio.run(scenario())
    assert len(sender.sent) == 2
    assert _states(runner_app) == {
        **{mid: (OutboundStatus.SENT, 1) for mid in ids[:2]},
        **{mid: (OutboundStatus.PENDING, 0) for mid in ids[2:]},
    }


def test_a_send_outlasting_the_grace_is_cut_off_with_a_warning_and_no_traceback(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    runner_app, ids = _runner_with_rows(app, 3, grace=0.3)
    sender = GatedSender()  # its gate never opens
    runner = Runner(runner_app, sender)

    async def scenario() -> None:
        task = asyncio.create_task(runner.run_until_stopped())
        await _wait_for(lambda: sender.in_flight == 2)
        runner.request_stop()
        await asyncio.wait_for(task, 20)

    with caplog.at_level(logging.INFO):
        asyncio.run(scenario())
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert any("smtp.shutdown_grace_seconds" in r.getMessage() for r in caplog.records)
    cut_off = [r.getMessage() for r in caplog.records if "cut off before its answer" in r.getMessage()]
    assert len(cut_off) == 2
    # No answer: the server may have the message, so it waits for its lease rather than going again at once.
    assert _states(runner_app) == {
        **{mid: (OutboundStatus.SENDING, 1) for mid in ids[:2]},
        ids[2]: (OutboundStatus.PENDING, 0),
    }


def test_a_second_signal_cuts_the_grace_short(app: App) -> None:
    runner_app, _ = _runner_with_rows(app, 1, grace=600.0)
    sender = GatedSender()
    runner = Runner(runner_app, sender)

    async def scenario() -> None:
        task = asyncio.create_task(runner.run_until_stopped())
        await _wait_for(lambda: sender.in_flight == 1)
        runner.request_stop(signal.SIGTERM)
        await asyncio.sleep(0.2)
        assert not task.done()
        runner.request_stop(signal.SIGTERM)
        await asyncio.wait_for(task, 20)

    asyncio.run(scenario())
    assert sender.sent == []


def test_the_daily_sweep_prunes_the_reply_caps_of_past_days(app: App) -> None:
    from mailbot.outbound.senders import MemorySender

    today = datetime.now(UTC).astimezone(app.config.tz).date()
    with app.sessions.begin() as session:
        for days_ago in (0, 1, 5):
            session.add(ReplyAllowance(address="c@example.org", day=today - timedelta(days=days_ago), used=1))
    asyncio.run(Runner(app, MemorySender()).sweep_reminders())
    with app.sessions() as session:
        days = sorted(session.scalars(select(ReplyAllowance.day)))
    assert days == [today - timedelta(days=1), today]
