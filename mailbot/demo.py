"""``mailbot demo``: one day of mailbot on a fresh machine, in a temporary folder.

Creates a SQLite database with the demo customers (mailbot/demo_data.py: a card payment and the
payment provider's charges of the morning among them), starts an in-process aiosmtpd SMTP server, runs
the day's sweeps, takes in what else comes (mailbot/demo_day.py: a public administration's reply with
its codes, approved by staff; the evening's bank statement), issues the due invoices (FatturaPA XML in
``sdi/``), drains the outbox into that server through the real SMTP sender, and prints what was sent to
whom and why, then what else happened. The last line is ``demo: N emails sent``.
The temporary folder is removed at the end unless ``--keep`` (then its path is printed); a folder given
with ``--dir`` is the user's, and is kept.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from mailbot.app import App, create_app
from mailbot.billing.invoices import run_invoicing
from mailbot.cli.output import count, print_line, print_lines
from mailbot.config import Config, config_from_dict
from mailbot.db.engine import upgrade
from mailbot.db.models import OutboundMessage
from mailbot.demo_data import seed
from mailbot.demo_day import evening_statement, pa_reply
from mailbot.outbound.drain import drain_until_empty
from mailbot.outbound.payments import run_payment_sweep
from mailbot.outbound.senders import make_sender
from mailbot.outbound.smtp_sink import start_sink
from mailbot.outbound.sweep import run_reminder_sweep


@dataclass(frozen=True)
class SentRow:
    to: str
    template: str
    language: str
    subject: str
    reason: str
    story: str


def demo_config(folder: Path, smtp_port: int) -> Config:
    return config_from_dict(
        {
            "general": {"data_dir": str(folder)},
            "database": {"url": f"sqlite:///{folder / 'demo.db'}"},
            "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none", "connections": 2},
            "links": {"secret": secrets.token_urlsafe(32), "base_url": "https://portale.example.it/rinnovo"},
            # The demo's administrations are under split payment whatever day it runs: the regime's end
            # is a setting (the example config's date may have passed).
            "payments": {"split_payment_valid_until": "2099-12-31"},
        }
    )


@dataclass(frozen=True)
class DemoResult:
    sent: list[SentRow]
    received: Path  # the .eml files as the SMTP server received them
    stories: dict[str, str]  # each demo customer's address and the case it shows
    events: list[str]  # what came in besides the sweeps (a reply, a bank statement), one line each

    def not_sent(self) -> list[tuple[str, str]]:
        addressed = {row.to for row in self.sent}
        return [(to, story) for to, story in self.stories.items() if to not in addressed]


async def run_demo(folder: Path, today: date | None = None) -> DemoResult:
    sink = start_sink()
    try:
        config = demo_config(folder, sink.port)
        upgrade(config.database.url)
        app = create_app(config)
        now = _morning(config, today)
        with app.sessions.begin() as session:
            stories = seed(session, config, app.links, app.renderer, now.astimezone(config.tz).date())
        await asyncio.to_thread(run_reminder_sweep, app, now)
        await asyncio.to_thread(run_payment_sweep, app, now)
        events = [await asyncio.to_thread(pa_reply, app, now)]
        events.append(await asyncio.to_thread(evening_statement, app, now))
        run = await asyncio.to_thread(run_invoicing, app, now)
        issued = ", ".join(run.issued) or "none"
        events.append(
            f"invoicing: issued {issued} (FatturaPA XML in {config.invoicing.sdi_dir}/), "
            f"{run.reminded} reminded as overdue"
        )
        sender = make_sender(config)
        try:
            await drain_until_empty(app, sender, now)
        finally:
            await sender.close()
        received = folder / "received"
        _write_received(sink.handler.messages, received)
        rows = _sent_rows(app, stories, set(sink.handler.received_ids()))
        app.close()
    finally:
        sink.stop()
    return DemoResult(rows, received, stories, events)


def _morning(config: Config, today: date | None) -> datetime:
    day = today or datetime.now(config.tz).date()
    return datetime.combine(day, config.schedule.sweep_time, config.tz).astimezone(UTC)


def _write_received(messages: list[tuple[str, list[str], bytes]], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n, (_sender, rcpts, content) in enumerate(messages, start=1):
        (folder / f"{n:03d}-{rcpts[0].split('@')[0]}.eml").write_bytes(content)


def _sent_rows(app: App, stories: dict[str, str], received_ids: set[str]) -> list[SentRow]:
    """The outbox rows the SMTP server actually received in this run."""
    with app.sessions() as session:
        rows = session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
        return [
            SentRow(m.to_address, m.template, m.language, m.subject, m.reason, stories.get(m.to_address, ""))
            for m in rows
            if m.message_id in received_ids
        ]


def format_table(rows: list[SentRow]) -> str:
    header = ("to", "email", "lang", "why")
    body = [(r.to, r.template, r.language, r.story or r.reason) for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=False)]
    widths[-1] = min(widths[-1], 60)
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c)[:w].ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]
    return "\n".join(lines)


def main(folder: Path | None = None, today: date | None = None, *, keep: bool = False) -> int:
    """One demo day in ``folder`` (kept), or in a new temporary folder removed at the end unless ``keep``."""
    base = folder or Path(tempfile.mkdtemp(prefix="mailbot-demo-"))
    keep = keep or folder is not None
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command log
    logging.getLogger("mailbot").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        result = asyncio.run(run_demo(base, today))
        print_report(result, base if keep else None)
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


def print_report(result: DemoResult, kept: Path | None) -> None:
    """What was sent to whom and why; ``kept``: the folder left behind with the database and the .eml files."""
    rows, received = result.sent, result.received
    print_line("mailbot demo (database demo.db, SMTP server in-process on 127.0.0.1)")
    print_line()
    print_lines(format_table(rows).split("\n"))
    print_line()
    print_line("Also today:")
    print_lines([f"  {event}" for event in result.events])
    silent = [f"  {to}: {story}" for to, story in result.not_sent()]
    if silent:
        print_line()
        print_line("Not sent, on purpose:")
        print_lines(silent)
    print_line()
    sample = sorted(received.glob("*.eml"))[:1]
    if sample:
        msg = email.message_from_bytes(sample[0].read_bytes(), policy=email.policy.default)
        print_line(f"for example {sample[0].name}: Subject {msg['Subject']!s}; Reply-To {msg['Reply-To']!s}")
    if kept is not None:
        print_line(f"The folder is kept: {kept} (database demo.db; the messages as received, .eml: {received})")
    else:
        print_line("The temporary folder is removed (--keep keeps it, with the database and the .eml files)")
    print_line(f"demo: {count(len(rows), 'email')} sent")
