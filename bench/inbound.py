"""Inbound benchmark: 5,000 varied messages through Dovecot, end to end, against a raw baseline.

A throwaway Dovecot (``mailbot.testing.dovecot``) serves the mailbox. The messages are the golden
corpus of ``tests/corpus`` (every intent, language, encoding and trap, auto-replies, a bounce, list
traffic), each copy with its own Message-ID and one in three with a reply token of a seeded reminder,
from customers seeded with the senders' addresses (public administrations with an order awaiting
payment), so matching, rules and actions do real work.

Two phases, each in its own child process so that peak memory is its own:
- baseline: fetch every message (UID FETCH BODY.PEEK[] in batches) and insert the raw bytes into a
  table, one commit per message (the least a consumer that loses nothing must do);
- mailbot: the IMAP listener's drain of the folder (fetch, store, parse, classify, match, act, move),
  the same one ``mailbot run`` uses.

Usage::

    python bench/inbound.py [--messages 5000] [--db URL]

With a PostgreSQL ``--db`` the bench works in a schema of its own, dropped at the end.

The last line is ``inbound: X msg/s, baseline Y msg/s, ratio Z``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, create_engine, select, text

from mailbot.app import App, create_app
from mailbot.config import Config, config_from_dict
from mailbot.db.engine import transaction, upgrade
from mailbot.db.models import Customer, OutboundMessage, Product, Service
from mailbot.domain import Cadence, CustomerKind, PaymentMethod
from mailbot.orders import NewOrder, create_order
from mailbot.process import freeze_startup_objects
from mailbot.testing.databases import scratch_database
from mailbot.testing.dovecot import DovecotServer, dovecot_binary, make_server_dir

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"
FETCH_BATCH = 100
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


AUTHSERV_ID = "mx.example.it"  # our receiving server, as it names itself in Authentication-Results


def corpus_messages() -> list[tuple[str, bytes]]:
    return [(p.stem, p.read_bytes()) for p in sorted(CORPUS.glob("*.eml"))]


def sender_of(raw: bytes) -> str:
    match = re.search(rb"^From:(.*)$", raw, re.MULTILINE | re.IGNORECASE)
    return parseaddr(match.group(1).decode("latin-1").strip())[1].lower() if match else ""


def vary(raw: bytes, n: int, token: str | None) -> bytes:
    """Copy ``n`` of a corpus message: its own Message-ID, the reply token when given, and on top the
    ``Authentication-Results`` our receiving server adds (DMARC pass for the From domain), as in a
    set-up where verified senders' changes are applied at once."""
    mid = f"<bench-{n}@client.example.org>".encode()
    varied, count = re.subn(rb"^Message-ID:.*$", b"Message-ID: " + mid, raw, count=1, flags=re.MULTILINE | re.I)
    if count == 0:
        varied = b"Message-ID: " + mid + b"\r\n" + raw
    if token is not None:
        varied = re.sub(rb"rinnovi\+[A-Za-z0-9]+@", b"rinnovi+" + token.encode() + b"@", varied, count=1)
    domain = sender_of(raw).rpartition("@")[2] or "example.org"
    return f"Authentication-Results: {AUTHSERV_ID}; dmarc=pass header.from={domain}\r\n".encode() + varied


def bench_config(data_dir: Path, db_url: str, server: DovecotServer, *, overlap: bool = True) -> Config:
    return config_from_dict(
        {
            "general": {"data_dir": str(data_dir)},
            "database": {"url": db_url},
            "mail": {
                "from_address": "rinnovi@example.it",
                "reply_to": "rinnovi+{token}@example.it",
                "message_id_domain": "example.it",
            },
            "links": {"secret": "bench-secret-bench-secret-bench-secret"},
            "inbound": {"authserv_id": AUTHSERV_ID},
            "imap": {
                "host": server.host,
                "port": server.port,
                "security": "none",
                "username": server.user,
                "password": server.password,
                "overlap": overlap,
            },
        }
    )


def seed(app: App, senders: list[str]) -> list[str]:
    """One customer per corpus sender (a PA with an order awaiting payment); returns reply tokens."""
    tokens: list[str] = []
    with transaction(app.sessions) as session:
        product = Product(
            code="P1",
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
        for i, address in enumerate(sorted(set(senders))):
            customer = Customer(
                external_id=f"C{i}",
                kind=CustomerKind.PUBLIC_ADMINISTRATION,
                name=f"Ente {i}",
                email=address,
                language="it",
                split_payment=True,
            )
            session.add(customer)
            session.flush()
            service = Service(
                external_id=f"S{i}",
                customer_id=customer.id,
                product_id=product.id,
                label=f"Impianto {i}",
                username=f"user{i}",
                expires_on=date(2026, 12, 31),
                autorenew=False,
                payment_method=PaymentMethod.BANK_TRANSFER,
                storage_quota_mb=1024,
                storage_used_mb=100,
            )
            session.add(service)
            session.flush()
            order = create_order(
                session,
                app,
                NewOrder(customer, [service], 1, PaymentMethod.BANK_TRANSFER),
                now=NOW - timedelta(days=2),
                actor="bench",
            )
            session.flush()
            tokens.extend(
                session.scalars(select(OutboundMessage.reply_token).where(OutboundMessage.order_id == order.id))
            )
    return tokens


def build_messages(count: int, tokens: list[str]) -> list[bytes]:
    corpus = corpus_messages()
    out = []
    for n in range(count):
        _, raw = corpus[n % len(corpus)]
        token = tokens[n % len(tokens)] if tokens and n % 3 == 0 else None
        out.append(vary(raw, n, token))
    return out


# -- the two phases, each run in a child process -------------------------------------------------


def baseline_phase(server_args: dict[str, Any], db_url: str, folder: str, queue: Any) -> None:
    server = DovecotServer(Path(server_args["root"]), port=server_args["port"])
    engine = create_engine(db_url)
    meta = MetaData()
    table = Table("bench_raw", meta, Column("id", Integer, primary_key=True), Column("raw", LargeBinary))
    meta.drop_all(engine)
    meta.create_all(engine)
    start = time.perf_counter()
    stored = 0
    with server.session() as client:
        client.select_folder(folder, readonly=True)
        uids = sorted(client.search("ALL"))
        for i in range(0, len(uids), FETCH_BATCH):
            fetched = client.fetch(uids[i : i + FETCH_BATCH], [b"BODY.PEEK[]"])
            for uid in uids[i : i + FETCH_BATCH]:
                with engine.begin() as conn:
                    conn.execute(table.insert().values(raw=fetched[uid][b"BODY[]"]))
                stored += 1
    elapsed = time.perf_counter() - start
    meta.drop_all(engine)
    engine.dispose()
    queue.put({"messages": stored, "seconds": elapsed, "peak_kb": _peak_kb()})


def mailbot_phase(config: Config, queue: Any) -> None:
    from mailbot.intake.imap.listener import drain_mailbox  # the listener's one pass over the folder

    app = create_app(config)
    app.renderer.compile_all()  # as ``mailbot run`` does at start (runner.Runner), then freezes what it loaded
    freeze_startup_objects()
    start = time.perf_counter()
    drain_mailbox(app, now=NOW)
    elapsed = time.perf_counter() - start
    with app.sessions() as session:
        rows = session.execute(text("SELECT status, count(*) FROM inbound_message GROUP BY status")).all()
        counts: dict[str, int] = {str(status): int(n) for status, n in rows}
    worker_kb = int(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # the reading-ahead worker, if any
    queue.put(
        {
            "messages": sum(counts.values()),
            "seconds": elapsed,
            "peak_kb": _peak_kb(),
            "status": counts,
            "worker_kb": worker_kb,
        }
    )


def _peak_kb() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def run_child(target: Any, *args: Any) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result: dict[str, Any] = queue.get(timeout=3600)
    proc.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--db", help="database URL (default: a SQLite file in a temporary folder)")
    parser.add_argument(
        "--no-overlap",
        action="store_true",
        help="imap.overlap off: no reading worker process, no fetch or move thread (one process, in turn)",
    )
    args = parser.parse_args()
    if dovecot_binary() is None:
        print("inbound: dovecot is not installed (Debian: apt-get install dovecot-imapd)", file=sys.stderr)
        return 2
    root = make_server_dir()
    server = DovecotServer(root).start()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="mailbot-bench-") as tmp,
            scratch_database(args.db, Path(tmp), "bench_inbound") as db_url,
        ):
            config = bench_config(Path(tmp), db_url, server, overlap=not args.no_overlap)
            upgrade(config.database.url)
            app = create_app(config)
            senders = [sender_of(raw) for _, raw in corpus_messages()]
            tokens = seed(app, [s for s in senders if s])
            messages = build_messages(args.messages, tokens)
            t0 = time.perf_counter()
            server.append(messages)
            print(f"appended {len(messages)} messages to Dovecot in {time.perf_counter() - t0:.1f} s")
            server_args = {"root": str(root), "port": server.port}
            base = run_child(baseline_phase, server_args, db_url, config.imap.folder)
            print(
                f"baseline: {base['messages']} fetched and inserted in {base['seconds']:.2f} s, "
                f"peak {base['peak_kb'] / 1024:.0f} MB"
            )
            ours = run_child(mailbot_phase, config)
            left = len(server.uids(config.imap.folder))
            print(
                f"mailbot: {ours['messages']} stored and processed in {ours['seconds']:.2f} s, "
                f"peak {ours['peak_kb'] / 1024:.0f} MB (reading worker {ours['worker_kb'] / 1024:.0f} MB), "
                f"by status {ours['status']}, left {left}"
            )
            if ours["messages"] != len(messages) or left:
                print("inbound: not every message was stored and moved", file=sys.stderr)
                return 1
            ours_rate = ours["messages"] / ours["seconds"]
            base_rate = base["messages"] / base["seconds"]
            print(f"inbound: {ours_rate:.0f} msg/s, baseline {base_rate:.0f} msg/s, ratio {ours_rate / base_rate:.2f}")
    finally:
        server.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
