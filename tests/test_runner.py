"""``mailbot run``'s scheduler: sweeps at start, the drain sends, SIGTERM stops it with nothing lost."""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import select

from mailbot.app import App, create_app
from mailbot.db.models import OutboundMessage, OutboundStatus, PaymentMethod
from mailbot.orders import create_order
from mailbot.outbound.senders import make_sender
from mailbot.runner import Runner
from tests.factories import make_customer, make_service
from tests.smtp_server import sink_handler, smtp_config


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
            session, config, runner_app.links, runner_app.renderer, customer=payer, services=[service], years=1,
            method=PaymentMethod.BANK_TRANSFER, now=now - timedelta(minutes=1),
        )  # fmt: skip
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
