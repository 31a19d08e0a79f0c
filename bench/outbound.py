"""Outbound benchmark: sweep 100,000 services (10,000 due) and drain the outbox over SMTP.

The SMTP server is mailbot's aiosmtpd sink running in another process. In the same run, a baseline
sends the same number of pre-rendered messages with raw aiosmtplib over the same number of
connections, so the ratio compares mailbot's whole send path (claim, build, send, mark) with the
bare cost of SMTP on this machine. Usage:

    python bench/outbound.py [--services 100000] [--due 10000] [--connections 4] [--db URL]

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
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
from sqlalchemy import func, insert, select

from mailbot.app import create_app
from mailbot.config import config_from_dict
from mailbot.db.engine import upgrade
from mailbot.db.models import Cadence, Customer, CustomerKind, OutboundMessage, PaymentMethod, Product, Service
from mailbot.outbound.drain import drain_until_empty
from mailbot.outbound.senders import make_sender
from mailbot.outbound.sweep import run_reminder_sweep


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
    from mailbot.db.engine import make_engine

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


async def baseline(port: int, messages: list[EmailMessage], connections: int) -> float:
    queue: asyncio.Queue[EmailMessage] = asyncio.Queue()
    for m in messages:
        queue.put_nowait(m)

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, use_tls=False)
        await client.connect()
        while True:
            try:
                m = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            await client.send_message(m)
        await client.quit()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="mailbot-bench-"))
    url = args.db or f"sqlite:///{folder / 'bench.db'}"
    port = free_port()
    sink = start_sink_process(port)
    try:
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

        t0 = time.perf_counter()
        result = run_reminder_sweep(app, now)
        sweep_s = time.perf_counter() - t0
        print(f"sweep: {sweep_s:.2f}s, {result.enqueued} emails enqueued")

        with app.sessions() as session:
            rows = session.scalars(select(OutboundMessage).limit(result.enqueued)).all()
            from mailbot.outbound.compose import build_message

            prebuilt = [build_message(r, config.mail, now) for r in rows]

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
        base_s = asyncio.run(baseline(port, prebuilt, args.connections))
        app.close()
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    ours = sent / drain_s if drain_s else 0.0
    base = len(prebuilt) / base_s if base_s else 0.0
    print(f"drain: {sent} sent in {drain_s:.2f}s over {args.connections} connections")
    print(f"baseline: {len(prebuilt)} raw aiosmtplib sends in {base_s:.2f}s")
    print(f"outbound: {ours:.0f} msg/s, baseline {base:.0f} msg/s, ratio {ours / base if base else 0:.2f}")


if __name__ == "__main__":
    main()
