"""Outbound benchmark: sweep 100,000 services (10,000 due) and drain the outbox over SMTP.

The SMTP server is mailbot's aiosmtpd sink running in another process. In the same run, a baseline
sends the same messages, rendered and encoded beforehand, with raw aiosmtplib over the same number
of connections (one worker per connection), so the ratio compares mailbot's whole send path (claim,
encode, send, mark) with the bare cost of SMTP on this machine. Two baselines are measured:

- ``sendmail``: the pre-encoded bytes of each message (the very bytes mailbot puts on the wire)
  handed to ``SMTP.sendmail``: nothing but SMTP. This is the baseline of the last line.
- ``send_message``: the ``EmailMessage`` of each message (``compose.build_message``) handed to
  ``SMTP.send_message``, which flattens it on every send: the baseline of the first measurements
  (2026-11), printed so figures stay comparable.

Usage:

    python bench/outbound.py [--services 100000] [--due 10000] [--connections 4] [--db URL]

With a PostgreSQL ``--db`` the bench works in a schema of its own, dropped at the end.
The last line is ``outbound: X msg/s, baseline Y msg/s, ratio Z``.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosmtplib
from aiosmtplib.email import flatten_message
from sqlalchemy import func, insert, select

from mailbot.app import create_app
from mailbot.config import config_from_dict
from mailbot.db.engine import make_engine, upgrade
from mailbot.db.models import Customer, OutboundMessage, Product, Service
from mailbot.domain import Cadence, CustomerKind, PaymentMethod
from mailbot.outbound.compose import OutgoingMail, build_message, encode_message
from mailbot.outbound.drain import drain_until_empty
from mailbot.outbound.senders import make_sender
from mailbot.outbound.sweep import run_reminder_sweep
from mailbot.testing.databases import scratch_database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sink_process(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "mailbot.outbound.smtp_sink", "--port", str(port)])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("bench: the SMTP sink did not start")


def seed(url: str, services: int, due: int, today_local: datetime) -> None:
    engine = make_engine(url)
    today = today_local.date()
    with engine.begin() as conn:
        conn.execute(
            insert(Product),
            [
                {
                    "code": "BENCH",
                    "name": "Portale Impianti",
                    "cadence": Cadence.ANNUAL,
                    "price_cents": 12000,
                    "max_years": 10,
                    "promo": False,
                    "bank_transfer_fee_cents": 300,
                    "storage_quota_mb": 1024,
                }
            ],
        )
        product_id = conn.scalar(select(Product.id))
        chunk = 5000
        for start in range(0, services, chunk):
            rows = range(start, min(start + chunk, services))
            conn.execute(
                insert(Customer),
                [
                    {
                        "external_id": f"B{i}",
                        "kind": CustomerKind.PRIVATE,
                        "name": f"Cliente {i}",
                        "email": f"cliente{i}@bench.example",
                        "language": "it" if i % 5 else "en",
                        "split_payment": False,
                        "email_undeliverable": False,
                    }
                    for i in rows
                ],
            )
        ids = conn.execute(select(Customer.id).order_by(Customer.id)).scalars().all()
        for start in range(0, services, chunk):
            batch = []
            for i in range(start, min(start + chunk, services)):
                # The first `due` services are 30 days from expiry; the others are beyond every step.
                days = 30 if i < due else (120 + i % 200)
                batch.append(
                    {
                        "external_id": f"BS{i}",
                        "customer_id": ids[i],
                        "product_id": product_id,
                        "label": f"Impianto {i}",
                        "username": f"user{i}",
                        "expires_on": today + timedelta(days),
                        "autorenew": False,
                        "payment_method": PaymentMethod.NONE,
                        "storage_quota_mb": 1024,
                        "storage_used_mb": 100,
                        "status": "active",
                    }
                )
            conn.execute(insert(Service), batch)
    engine.dispose()


async def baseline(
    port: int, count: int, connections: int, send: Callable[[aiosmtplib.SMTP, int], Awaitable[object]]
) -> float:
    """Seconds to send messages 0..count-1 with ``send`` over ``connections`` connections."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, use_tls=False)
        await client.connect()
        while True:
            try:
                n = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            await send(client, n)
        await client.quit()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return time.perf_counter() - start


@dataclass(frozen=True)
class Figures:
    sweep_s: float
    enqueued: int
    sent: int
    drain_s: float
    count: int  # messages each baseline sends
    sendmail_s: float
    send_message_s: float
    wire_size: float  # mean bytes: mailbot's encoding
    flat_size: float  # mean bytes: send_message's flattening


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="mailbot-bench-"))
    port = free_port()
    sink = start_sink_process(port)
    try:
        with scratch_database(args.db, folder, "bench") as url:
            figures = run(url, folder, port, args)
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    f = figures
    ours = f.sent / f.drain_s if f.drain_s else 0.0
    base = f.count / f.sendmail_s if f.sendmail_s else 0.0
    flat = f.count / f.send_message_s if f.send_message_s else 0.0
    print(f"sweep: {f.sweep_s:.2f}s for {f.enqueued} emails ({1000 * f.sweep_s / max(f.enqueued, 1):.2f} ms per email)")
    print(f"drain: {f.sent} sent in {f.drain_s:.2f}s over {args.connections} connections")
    print(f"message size: {f.wire_size:.0f} bytes as mailbot sends it, {f.flat_size:.0f} as send_message flattens it")
    print(f"baseline send_message: {f.count} EmailMessages in {f.send_message_s:.2f}s, {flat:.0f} msg/s")
    print(f"  ratio against it: {ours / flat if flat else 0:.2f}")
    print(f"baseline sendmail: {f.count} pre-encoded messages in {f.sendmail_s:.2f}s, {base:.0f} msg/s")
    print(f"outbound: {ours:.0f} msg/s, baseline {base:.0f} msg/s, ratio {ours / base if base else 0:.2f}")


def run(url: str, folder: Path, port: int, args: argparse.Namespace) -> Figures:
    config = config_from_dict(
        {
            "general": {"data_dir": str(folder)},
            "database": {"url": url},
            "smtp": {
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "connections": args.connections,
                "batch_size": 500,
            },
            "links": {"secret": "bench-secret"},
        }
    )
    upgrade(url)
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    seed(url, args.services, args.due, now.astimezone(config.tz))
    print(f"seeded {args.services} services ({args.due} due) in {time.perf_counter() - t0:.1f}s")
    app = create_app(config)
    try:
        t0 = time.perf_counter()
        result = run_reminder_sweep(app, now)
        sweep_s = time.perf_counter() - t0
        print(f"sweep: {sweep_s:.2f}s, {result.enqueued} emails enqueued")

        sender = make_sender(config)

        async def drain() -> float:
            start = time.perf_counter()
            await drain_until_empty(app, sender, now)
            await sender.close()
            return time.perf_counter() - start

        drain_s = asyncio.run(drain())
        with app.sessions() as session:
            sent = (
                session.scalar(
                    select(func.count()).select_from(OutboundMessage).where(OutboundMessage.status == "sent")
                )
                or 0
            )
            # The baselines' messages are built after the drain, so the drain does not carry (and
            # garbage-collect) their objects, and each baseline holds only its own.
            rows = session.scalars(select(OutboundMessage).order_by(OutboundMessage.id).limit(result.enqueued)).all()

        encoded = [encode_message(r, config.mail, now) for r in rows]
        wire = [e for e in encoded if e is not None]
        assert len(wire) == len(rows), "every bench row takes the fast path"
        wire_size = sum(len(e.data) for e in wire) / max(len(wire), 1)

        async def send_bytes(client: aiosmtplib.SMTP, n: int) -> object:
            mail: OutgoingMail = wire[n]
            return await client.sendmail(mail.sender, list(mail.recipients), mail.data)

        raw_s = asyncio.run(baseline(port, len(wire), args.connections, send_bytes))
        encoded.clear()  # free them before the next baseline builds its own
        wire.clear()

        messages = [build_message(r, config.mail, now) for r in rows]
        flat_size = sum(len(flatten_message(m)) for m in messages[:200]) / max(min(len(messages), 200), 1)

        async def send_message(client: aiosmtplib.SMTP, n: int) -> object:
            return await client.send_message(messages[n])

        message_s = asyncio.run(baseline(port, len(messages), args.connections, send_message))
    finally:
        app.close()
    return Figures(sweep_s, result.enqueued, sent, drain_s, len(rows), raw_s, message_s, wire_size, flat_size)


if __name__ == "__main__":
    main()
