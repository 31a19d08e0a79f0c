"""The IMAP listener against a real Dovecot: IDLE, polling, moving, reconnecting, UIDVALIDITY, crashes,
poison messages and the one-consumer lease. Skipped when Dovecot is not installed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import mailbot.intake.imap.connection as connection_module
import mailbot.understand.reading as understand
from mailbot.app import create_app
from mailbot.config import ImapConfig
from mailbot.db.engine import make_engine
from mailbot.db.models import MailboxState, Ticket
from mailbot.domain import InboundStatus
from mailbot.intake.imap.listener import ImapListener, Pacing, connect_imap, drain_mailbox
from mailbot.intake.imap.plan import mailbox_key
from mailbot.testing.dovecot import DovecotServer, dovecot_binary
from mailbot.understand.rules import RuleSet
from tests.support.imap import (
    FOLDERS,
    Crash,
    CrashOnMove,
    assert_each_in_its_folder,
    make_app,
    seen,
    settled,
    start_server,
    variant,
    wait_until,
)
from tests.support.inbound import rows

pytestmark = pytest.mark.skipif(
    dovecot_binary() is None, reason="dovecot is not installed (Debian: apt-get install dovecot-imapd)"
)

CORPUS = Path(__file__).parent / "corpus"


def corpus(*names: str) -> list[bytes]:
    return [(CORPUS / f"{name}.eml").read_bytes() for name in names]


def test_idle_delivery_is_stored_processed_and_moved_without_being_marked_seen(
    server: DovecotServer, tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet, running: Any
) -> None:
    app = make_app(tmp_path, db_url, engine, server, poll_seconds=600.0, idle_seconds=600.0)
    r = running(app, rules)
    wait_until(lambda: r.listener.counters.cycles >= 1)  # connected, folders created, idling
    assert {f for f in FOLDERS if server.uids(f) == []} == set(FOLDERS)

    server.append(corpus("autorenew_off_it", "list_traffic", "auto_reply_it"))
    wait_until(lambda: settled(app, server, 3), state=lambda: seen(app, server))  # only IDLE can wake it this fast
    assert_each_in_its_folder(app, server)
    for folder in FOLDERS:
        assert all(b"\\Seen" not in flags for flags in server.flags(folder).values())  # BODY.PEEK[]
    assert r.listener.counters.connections == 1
    assert [row.uid for row in rows(app)] == [1, 2, 3]
    with app.sessions() as session:
        state = session.get(MailboxState, mailbox_key(app.config.imap))
        assert state is not None
        assert (state.uidvalidity, state.last_uid) == (server.uidvalidity("INBOX"), 3)
    assert r.stop() < 2.0


@pytest.mark.parametrize("capability", ["IMAP4rev1 UIDPLUS", "IMAP4rev1"], ids=["copy-uidplus", "copy-expunge"])
def test_polling_and_copy_on_a_server_without_idle_and_move(
    capability: str, tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet, running: Any
) -> None:
    srv = start_server(capability)
    try:
        app = make_app(tmp_path, db_url, engine, srv, poll_seconds=0.2)
        r = running(app, rules)
        wait_until(lambda: r.listener.counters.cycles >= 1)
        srv.append(corpus("payment_notice_en", "bounce_permanent_dsn"))
        wait_until(lambda: settled(app, srv, 2), state=lambda: seen(app, srv))
        assert_each_in_its_folder(app, srv)
        assert r.listener.counters.cycles >= 2  # an empty first look, then a poll found them (no IDLE)
        r.stop()
    finally:
        srv.remove()


def test_polling_when_idle_is_switched_off(
    server: DovecotServer, tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet
) -> None:
    app = make_app(tmp_path, db_url, engine, server, idle=False, poll_seconds=0.1)
    listener = ImapListener(app, rules, pacing=Pacing(tick=0.05))
    client = connect_imap(app.config.imap)
    try:
        conn = connection_module.MailboxConnection(
            app, rules, client, connection_module.Listening(listener.clock, listener.counters)
        )
        assert not conn.can_idle and conn.method == "move"
        started = time.monotonic()
        conn.wait_for_mail(0.05)
        assert 0.1 <= time.monotonic() - started < 1.0
    finally:
        client.logout()


def test_reconnects_after_the_server_restarts(
    server: DovecotServer, tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet, running: Any
) -> None:
    # IDLE, with the poll safety net of production (a pass every poll_seconds) scaled down: this test is
    # about reconnecting; test_idle_delivery_... proves IDLE alone with no safety net.
    app = make_app(tmp_path, db_url, engine, server, poll_seconds=3.0)
    r = running(app, rules)
    wait_until(lambda: r.listener.counters.cycles >= 1)  # first login done (see first_pass_done)
    server.append(corpus("upgrade_it"))
    wait_until(lambda: settled(app, server, 1), state=lambda: seen(app, server))

    server.restart()
    server.append(corpus("upgrade_en"))
    wait_until(lambda: settled(app, server, 2), state=lambda: seen(app, server))
    assert r.listener.counters.connections >= 2
    assert_each_in_its_folder(app, server)


def test_uidvalidity_change_reads_the_folder_again_without_duplicates(
    server: DovecotServer, tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet
) -> None:
    app = make_app(tmp_path, db_url, engine, server, folder="incoming")
    first, second, third = corpus("invoice_request_it", "invoice_request_en", "other_it")
    server.append([first, second], folder="incoming")
    assert drain_mailbox(app, rules).stored == 2
    old = server.uidvalidity("incoming")

    server.recreate_folder("incoming")  # new UIDVALIDITY, UIDs from 1 again
    server.append([first, third], folder="incoming")  # an old message back (UID 1) and a new one (UID 2)
    counters = drain_mailbox(app, rules)
    assert (counters.resets, counters.stored, counters.duplicates) == (1, 1, 1)
    assert len(rows(app)) == 3
    assert server.uids("incoming") == []
    with app.sessions() as session:
        state = session.get(MailboxState, mailbox_key(app.config.imap))
        assert state is not None
        assert state.uidvalidity == server.uidvalidity("incoming") != old
        assert state.last_uid == 2


@pytest.mark.parametrize("when", ["before_processing", "before_move"])
def test_a_crash_between_commit_and_move_neither_loses_nor_doubles(
    when: str,
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app(tmp_path, db_url, engine, server)
    server.append(corpus("cancellation_it"))
    with monkeypatch.context() as patched:
        if when == "before_processing":
            patched.setattr(connection_module, "process_many", lambda *a, **k: (_ for _ in ()).throw(Crash()))
            connect: Any = connect_imap
        else:

            def connect(imap: ImapConfig) -> Any:
                return CrashOnMove(connect_imap(imap))

        with pytest.raises(Crash):
            drain_mailbox(app, rules, connect=connect)
    (stored,) = rows(app)  # committed before the crash
    assert server.uids("INBOX") == [1]  # and still on the server
    assert (stored.status == InboundStatus.RECEIVED) is (when == "before_processing")

    counters = drain_mailbox(app, rules)  # the next run: pending processed at start, then moved
    (again,) = rows(app)
    assert again.id == stored.id and again.status != InboundStatus.RECEIVED
    assert counters.stored == 0
    assert_each_in_its_folder(app, server)


def test_a_poison_message_is_quarantined_with_a_ticket_and_the_loop_goes_on(
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
    running: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = understand.read_message

    def read_message(raw: bytes, **kw: Any) -> Any:
        if b"X-Test-Poison: yes" in raw:
            raise RuntimeError("the parser broke on this message")
        return real(raw, **kw)

    monkeypatch.setattr("mailbot.act.pipeline.read_message", read_message)
    app = make_app(tmp_path, db_url, engine, server)
    r = running(app, rules)
    wait_until(lambda: r.listener.counters.cycles >= 1)  # first login done (see first_pass_done)
    good = corpus("auto_reply_it", "list_traffic")
    server.append([variant(good[0], "poison-1", b"X-Test-Poison: yes"), good[0]])
    wait_until(lambda: settled(app, server, 2), state=lambda: seen(app, server))
    server.append([good[1]])  # the listener is still at work
    wait_until(lambda: settled(app, server, 3), state=lambda: seen(app, server))

    poison, *others = rows(app)
    assert poison.status == InboundStatus.QUARANTINED and "parser broke" in (poison.error or "")
    assert all(row.status != InboundStatus.QUARANTINED for row in others)
    assert server.uids("mailbot/quarantine") == [1]
    with app.sessions() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.inbound_id == poison.id)).one()
        assert "parser broke" in ticket.summary
    assert_each_in_its_folder(app, server)
    assert r.listener.counters.connections == 1  # the poison message did not break the connection


def test_two_listeners_on_one_mailbox_only_one_consumes_and_the_other_takes_over(
    server: DovecotServer, tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet, running: Any
) -> None:
    app = make_app(tmp_path, db_url, engine, server, poll_seconds=0.2, lock_seconds=2.0)
    other_engine = make_engine(db_url)  # another process: its own connections
    try:
        other_app = create_app(app.config, engine=other_engine)
        first = running(app, rules, owner="first")
        wait_until(lambda: first.listener.lease.held)
        second = running(other_app, rules, owner="second")
        raws = corpus(
            "renewal_it_cp1252",
            "renewal_words_it_qp_utf8",
            "renewal_years_en_base64_utf8",
            "card_change_en",
            "billing_update_it",
            "other_it",
        )
        server.append(raws)
        wait_until(lambda: settled(app, server, 6), state=lambda: seen(app, server))
        assert first.listener.counters.stored == 6
        assert second.listener.counters.stored == 0 and second.listener.counters.connections == 0
        assert not second.listener.lease.held

        first.stop()  # releases the lease: the second one takes over
        wait_until(lambda: second.listener.lease.held)
        server.append(corpus("upgrade_en"))
        wait_until(lambda: settled(app, server, 7), state=lambda: seen(app, server))
        assert second.listener.counters.stored == 1
        assert_each_in_its_folder(app, server)
        second.stop()
    finally:
        other_engine.dispose()


def test_runner_runs_the_listener_and_stops_it_promptly(
    server: DovecotServer, tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet
) -> None:
    from mailbot.outbound.senders import MemorySender
    from mailbot.runner import Runner

    app = make_app(tmp_path, db_url, engine, server, poll_seconds=3.0)  # as above: about the runner, not IDLE
    runner = Runner(app, MemorySender(), rules=rules)
    assert runner.listener is not None
    runner.listener.tick = 0.1

    async def scenario() -> float:
        task = asyncio.create_task(runner.run_until_stopped())
        loop = asyncio.get_running_loop()
        first_pass = loop.time() + 15
        while runner.listener is not None and runner.listener.counters.cycles < 1:  # first login done
            assert loop.time() < first_pass, "the listener never made its first pass"
            await asyncio.sleep(0.05)
        await asyncio.to_thread(server.append, corpus("payment_notice_cro_iban_it"))
        deadline = loop.time() + 15
        while not (rows(app) and server.uids("INBOX") == []):
            assert loop.time() < deadline, "gave up waiting"
            await asyncio.sleep(0.05)
        started = loop.time()
        runner.request_stop()
        await asyncio.wait_for(task, 10)
        return loop.time() - started

    assert asyncio.run(scenario()) < 3.0
    assert runner.scheduler.get_job("maildir") is None  # IMAP replaces the maildir intake
    assert_each_in_its_folder(app, server)
    with Session(engine) as session:
        assert session.get(MailboxState, mailbox_key(app.config.imap)) is not None
