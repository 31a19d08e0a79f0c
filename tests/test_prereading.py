"""Reading ahead in a worker process (``intake.imap.overlap``, with ``imap.overlap``): the worker's
answer is what the listener's own process would have found, it is used only for the very bytes
stored, and every failure of the worker falls back to the normal path with the outcomes it always had."""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from mailbot.act.pipeline import process_many
from mailbot.app import App, create_app
from mailbot.db.engine import transaction
from mailbot.db.models import InboundMessage, Ticket
from mailbot.domain import InboundStatus
from mailbot.intake.imap import overlap as prereading
from mailbot.intake.imap.listener import drain_mailbox
from mailbot.intake.imap.overlap import PreparedAndRead, ReadingWorker, prepare_and_read
from mailbot.intake.prepare import prepare_raw
from mailbot.intake.store import Origin, load_raw, store_many
from mailbot.testing.dovecot import DovecotServer
from mailbot.understand import reading as understand
from mailbot.understand.addresses import own_addresses
from mailbot.understand.cards.find import MASK
from mailbot.understand.rules import RuleSet
from tests.support.corpus import corpus
from tests.support.imap import assert_each_in_its_folder, imap_only, make_app, settled, wait_until
from tests.support.inbound import rows
from tests.support.reading import counting_prechecks

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
CORPUS = Path(__file__).parent / "corpus"
CARD = b"4111 1111 1111 1111"


def with_card(raw: bytes) -> bytes:
    head, sep, _body = raw.partition(b"\r\n\r\n")
    return head + b"\r\nContent-Type: text/plain; charset=utf-8" + sep + b"Pago con la carta " + CARD + b"\r\n"


def counting_reader(monkeypatch: pytest.MonkeyPatch, poison: bool = False) -> list[bytes]:
    """Patch the listener's own ``read_message`` (never the worker's): the bytes it is called on."""
    calls: list[bytes] = []
    real = understand.read_message

    def read_message(raw: bytes, **kw: Any) -> Any:
        calls.append(raw)
        if poison and b"X-Test-Poison: yes" in raw:
            raise RuntimeError("the parser broke on this message")
        return real(raw, **kw)

    monkeypatch.setattr("mailbot.act.pipeline.read_message", read_message)
    return calls


# Run in the worker process (sent by name, so module-level).


def poisoned_pre_read(
    raws: Sequence[bytes], own: frozenset[str], rules: RuleSet | None
) -> list[PreparedAndRead | None]:
    def read_message(raw: bytes, **kw: Any) -> Any:
        if b"X-Test-Poison: yes" in raw:
            raise RuntimeError("the parser broke on this message")
        return understand.read_message(raw, **kw)

    setattr(prereading, "read_message", read_message)  # noqa: B010  # in the worker process only
    return prepare_and_read(raws, own, rules)


def warmed(reader: ReadingWorker) -> ReadingWorker:
    """``reader`` with its worker started and up, so that every batch goes to it."""
    reader.start()
    assert reader.ready(wait=60)
    return reader


def listener_prereaders(monkeypatch: pytest.MonkeyPatch, *, warm: bool = True, **kw: Any) -> list[ReadingWorker]:
    """The listener's reading worker made as ``ReadingWorker(own, enabled=..., **kw)``, started and up
    first when ``warm``; returns the list of those made, for the test to look at."""
    made: list[ReadingWorker] = []

    def prereader(own: frozenset[str], *, enabled: bool) -> ReadingWorker:
        reader = ReadingWorker(own, enabled=enabled, **kw)
        made.append(warmed(reader) if warm else reader)
        return reader

    monkeypatch.setattr(prereading, "ReadingWorker", prereader)
    return made


def gated_warm_up(gate: str) -> bool:
    """A worker that is not up until the file ``gate`` exists."""
    while not os.path.exists(gate):
        time.sleep(0.01)
    return True


def slow_pre_read(raws: Sequence[bytes], own: frozenset[str], rules: RuleSet | None) -> list[PreparedAndRead | None]:
    time.sleep(0.5)  # a worker slower than the listener (5 messages a batch): it falls behind
    return prepare_and_read(raws, own, rules)


def dying_pre_read(raws: Sequence[bytes], own: frozenset[str], rules: RuleSet | None) -> list[PreparedAndRead | None]:
    os._exit(3)


# pure ------------------------------------------------------------------------------------------


def test_pre_read_is_prepare_raw_and_read_message_and_comes_back_whole() -> None:
    own = frozenset({"rinnovi@example.org"})
    raws = [*corpus(len(list(CORPUS.glob("*.eml")))), with_card(corpus(1)[0])]
    found = pickle.loads(pickle.dumps(prepare_and_read(raws, own)))  # what crosses from the worker
    for raw, pre in zip(raws, found, strict=True):
        assert pre is not None and pre.reading is not None
        prepared = prepare_raw(raw)
        assert pre.prepared.parsed is None
        assert pre.prepared == replace(prepared, parsed=None)  # redacted, identified, compressed alike
        assert pre.reading == understand.read_message(prepared.redacted, own_addresses=own, redacted=True)
        assert pre.reading.raw == prepared.redacted
    assert found[-1].prepared.card_found and CARD not in found[-1].prepared.redacted


def test_pre_read_leaves_a_failing_reading_out(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(raw: bytes, **kw: Any) -> Any:
        raise RuntimeError("the parser broke")

    raws = corpus(2)
    monkeypatch.setattr(prereading, "read_message", broken)
    found = prepare_and_read(raws, frozenset())
    assert all(p is not None and p.reading is None for p in found)
    monkeypatch.setattr(prereading, "prepare_raw", lambda raw: 1 / 0)
    assert prepare_and_read(raws, frozenset()) == [None, None]


# store_many and process_many with what was read ahead ------------------------------------------


def test_a_reading_done_ahead_is_used_only_for_the_very_bytes_stored(
    app: App, rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    raws = [*corpus(3), with_card(corpus(4)[3])]
    ahead = prepare_and_read(raws, own_addresses(app.config))
    with transaction(app.sessions) as session:
        results = store_many(
            session,
            list(enumerate(raws)),
            Origin("imap"),
            now=NOW,
            config=app.config,
            ready=[p.prepared if p else None for p in ahead],
        )
    with app.sessions() as session:
        stored = [session.get(InboundMessage, r.inbound_id) for r in results]
        assert [load_raw(row) for row in stored if row] == [p.prepared.redacted for p in ahead if p]
        assert [row.card_number_detected for row in stored if row] == [False, False, False, True]
    ids = [r.inbound_id for r in results]
    readings = {i: p.reading for i, p in zip(ids, ahead, strict=True) if p and p.reading}
    readings[ids[1]] = readings[ids[0]]  # another message's reading: not these bytes, so read again
    calls = counting_reader(monkeypatch)
    outcomes = process_many(app, ids, NOW, rules, already=readings)
    assert [o.status != InboundStatus.QUARANTINED for o in outcomes] == [True] * 4
    assert calls == [p.prepared.redacted for p in ahead[1:2] if p]  # only the mismatched one
    with app.sessions() as session:
        carded = session.get(InboundMessage, ids[3])
        assert carded is not None and carded.understanding["card_number_detected"]
        assert carded.status == InboundStatus.REVIEW
        assert MASK.format(last4="1111") in carded.understanding["reply_text"]


# the IMAP intake ---------------------------------------------------------------------------------


@imap_only
def test_the_worker_reads_the_batches_and_nothing_is_read_twice(
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listener_prereaders(monkeypatch)
    monkeypatch.setattr(prereading, "WORKER_FRACTION_STEP", 0.0)  # the worker keeps reading whole batches
    app = make_app(tmp_path, db_url, engine, server, fetch_batch=3)
    raws = corpus(8)
    server.append([*raws, raws[0]])  # the last is a copy of the first: stored once
    calls = counting_reader(monkeypatch)
    checked = counting_prechecks(monkeypatch)
    counters = drain_mailbox(app, rules)
    assert (counters.stored, counters.duplicates, counters.processed) == (8, 1, 8)
    assert calls == []  # every reading came from the worker
    assert checked == []  # and the rules were checked there, all but the customer's kind
    found = rows(app)
    assert [load_raw(row) for row in found] == [prepare_raw(raw).redacted for raw in raws]
    own = own_addresses(app.config)
    for row in found:  # as the listener's own process reads the stored copy
        reading = understand.read_message(load_raw(row), own_addresses=own, redacted=True)
        assert (row.kind, row.understanding["kind_reasons"], row.understanding["defects"]) == (
            reading.kind,
            list(reading.kind_reasons),
            list(reading.message.defects),
        )


@imap_only
def test_batches_are_read_here_while_the_worker_starts_then_by_the_worker(
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No waiting for a worker that is starting: the listener reads those batches itself (here the
    first two: the worker comes up while the first is read), the worker the rest, none twice."""
    gate = tmp_path / "worker-may-start"
    made = listener_prereaders(monkeypatch, warm=False, starting=partial(gated_warm_up, str(gate)))
    app = make_app(tmp_path, db_url, engine, server, fetch_batch=2)
    raws = corpus(8)
    server.append(raws)
    calls: list[bytes] = []
    real = understand.read_message

    def read_message(raw: bytes, **kw: Any) -> Any:
        calls.append(raw)
        if len(calls) == 2:  # the first batch read here: let the worker come up, and wait for it
            gate.touch()
            assert made[0].ready(wait=60)
        return real(raw, **kw)

    monkeypatch.setattr("mailbot.act.pipeline.read_message", read_message)
    counters = drain_mailbox(app, rules)
    assert (counters.stored, counters.processed, counters.duplicates) == (8, 8, 0)
    assert calls == [prepare_raw(raw).redacted for raw in raws[:4]]  # batches 1 and 2, handed over unready
    found = rows(app)
    assert [load_raw(row) for row in found] == [prepare_raw(raw).redacted for raw in raws]
    own = own_addresses(app.config)
    for row in found[4:]:  # read by the worker, as this process reads them
        reading = understand.read_message(load_raw(row), own_addresses=own, redacted=True)
        assert (row.kind, row.understanding["reply_text"]) == (reading.kind, reading.new_text)
    assert_each_in_its_folder(app, server)


@imap_only
def test_a_reading_that_fails_in_the_worker_is_quarantined_as_before(
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = listener_prereaders(monkeypatch, work=poisoned_pre_read)
    app = make_app(tmp_path, db_url, engine, server, fetch_batch=2)
    server.append(corpus(5, m3=b"X-Test-Poison: yes"))
    calls = counting_reader(monkeypatch, poison=True)
    counters = drain_mailbox(app, rules)
    assert (counters.stored, counters.processed) == (5, 5)
    assert len(calls) == 1 and b"X-Test-Poison: yes" in calls[0]  # only the poison was read here (and failed)
    found = rows(app)
    assert [row.status == InboundStatus.QUARANTINED for row in found] == [False, False, False, True, False]
    assert "parser broke" in (found[3].error or "")
    with app.sessions() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.inbound_id == found[3].id)).one()
        assert "parser broke" in ticket.summary
    assert server.uids("mailbot/quarantine") == [1]
    assert_each_in_its_folder(app, server)
    assert made and made[0].enabled and not made[0].started  # used, then shut down by the drain


@imap_only
def test_a_dead_worker_falls_back_to_reading_in_process(
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    made = listener_prereaders(monkeypatch, work=dying_pre_read)
    app = make_app(tmp_path, db_url, engine, server, fetch_batch=2)
    raws = corpus(5)
    server.append(raws)
    calls = counting_reader(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="mailbot.intake.imap.overlap"):
        counters = drain_mailbox(app, rules)
    assert (counters.stored, counters.processed, counters.duplicates) == (5, 5, 0)
    assert len(calls) == 5  # every message read here, once
    assert "reading ahead failed (BrokenProcessPool" in caplog.text
    assert made[0].enabled is False and not made[0].started
    assert [load_raw(row) for row in rows(app)] == [prepare_raw(raw).redacted for raw in raws]
    assert_each_in_its_folder(app, server)


@imap_only
def test_read_ahead_off_reads_everything_in_process(
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = listener_prereaders(monkeypatch, warm=False)
    app = make_app(tmp_path, db_url, engine, server, fetch_batch=2)
    off = create_app(replace(app.config, imap=replace(app.config.imap, overlap=False)), engine=engine)
    server.append(corpus(4))
    calls = counting_reader(monkeypatch)
    counters = drain_mailbox(off, rules)
    assert counters.processed == 4 and len(calls) == 4
    assert not made[0].enabled and not made[0].started  # never started
    assert_each_in_its_folder(app, server)


@imap_only
def test_stopping_the_listener_shuts_the_worker_down(
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
    running: Any,
) -> None:
    app = make_app(tmp_path, db_url, engine, server, fetch_batch=2)
    server.append(corpus(5))
    r = running(app, rules)
    wait_until(lambda: settled(app, server, 5))
    prereader = r.listener.overlap.worker
    assert prereader.started
    pool = prereader._pool
    assert pool is not None
    workers = list(pool._processes.values())  # type: ignore[attr-defined]
    assert workers and all(w.is_alive() for w in workers)
    r.stop()
    assert not prereader.started
    assert all(not w.is_alive() for w in workers)
    assert_each_in_its_folder(app, server)


def test_a_worker_killed_between_batches_is_noticed_and_given_up(caplog: pytest.LogCaptureFixture) -> None:
    reader = warmed(ReadingWorker(frozenset()))
    try:
        raws = corpus(2)
        first = reader.result(reader.submit(raws))
        assert first is not None and all(p is not None and p.reading is not None for p in first)
        pool = reader._pool
        assert pool is not None
        for worker in list(pool._processes.values()):  # type: ignore[attr-defined]
            assert worker.pid is not None
            os.kill(worker.pid, signal.SIGKILL)
            worker.join(10)
        with caplog.at_level(logging.WARNING, logger="mailbot.intake.imap.overlap"):
            assert reader.result(reader.submit(raws)) is None
        assert "reading ahead failed" in caplog.text
        assert not reader.enabled and not reader.started
        assert reader.submit(raws) is None  # from now on the caller reads itself
    finally:
        reader.close()


def test_the_reading_worker_imports_nothing_of_the_database() -> None:
    """What the worker process runs (``pre_read``) is pure: importing it loads no SQLAlchemy and no
    models, which would cost the worker's start a good part of its time and memory."""
    code = (
        "import sys, mailbot.intake.imap.overlap\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy' or m == 'mailbot.db.models')\n"
        "print(loaded)\n"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"


def test_the_worker_reads_its_share_of_a_batch_and_the_share_follows_who_waits() -> None:
    reader = warmed(ReadingWorker(frozenset(), work=slow_pre_read))
    try:
        raws = corpus(4)
        reader.worker_fraction = 0.5
        ahead = reader.submit(raws)
        assert ahead is not None and (ahead.taken, ahead.count) == (2, 4)
        found = reader.result(ahead)  # asked for while the worker still reads: it was behind
        assert found is not None and [p is not None for p in found] == [True, True, False, False]
        assert [p.prepared.redacted for p in found if p is not None] == [prepare_raw(r).redacted for r in raws[:2]]
        assert reader.worker_fraction == pytest.approx(0.5 - prereading.WORKER_FRACTION_STEP)
        ahead = reader.submit(raws)
        assert ahead is not None
        ahead.future.result(timeout=30)  # the worker is done before it is asked: it gets more
        assert reader.result(ahead) is not None
        assert reader.worker_fraction == pytest.approx(0.5)
        reader.worker_fraction = prereading.MIN_WORKER_FRACTION
        for _ in range(3):
            reader.result(reader.submit(raws))
        assert reader.worker_fraction == pytest.approx(prereading.MIN_WORKER_FRACTION)  # never below it
        reader.worker_fraction = 1.0
        ahead = reader.submit(raws)
        assert ahead is not None
        ahead.future.result(timeout=30)
        reader.result(ahead)
        assert reader.worker_fraction == 1.0  # nor above the whole batch
    finally:
        reader.close()


@imap_only
def test_a_listener_waiting_for_a_slow_worker_reads_part_of_each_batch_itself(
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker falls behind: it is given less of each batch and the listener reads the rest
    instead of waiting. Every message is read once, by one of them, and processed as always."""
    made = listener_prereaders(monkeypatch, work=slow_pre_read)
    app = make_app(tmp_path, db_url, engine, server, fetch_batch=5)
    raws = corpus(30)
    server.append(raws)
    calls = counting_reader(monkeypatch)
    counters = drain_mailbox(app, rules)
    assert (counters.stored, counters.processed) == (30, 30)
    assert made[0].worker_fraction < 1.0
    stored = [load_raw(row) for row in rows(app)]
    assert stored == [prepare_raw(raw).redacted for raw in raws]
    assert 0 < len(calls) < 30 and len(set(calls)) == len(calls)  # some read here, none twice
    assert all(row.status != InboundStatus.QUARANTINED for row in rows(app))
    assert_each_in_its_folder(app, server)
