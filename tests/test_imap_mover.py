"""Moving on a second connection (``overlap.Mover``) while the listener handles the next batch, against a
real Dovecot: moves only after their batch is committed, all of them collected before the pass ends,
a failure raised in the listener and mended by the next pass, inline moves when the server gives no
second connection or ``imap.overlap`` is off. Skipped when Dovecot is not installed."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from imapclient.exceptions import IMAPClientError
from sqlalchemy import Engine, select

from mailbot.app import App, create_app
from mailbot.config import ImapConfig
from mailbot.db.models import InboundMessage
from mailbot.domain import InboundStatus
from mailbot.intake.imap.connection import UNKNOWN
from mailbot.intake.imap.listener import connect_imap, drain_mailbox
from mailbot.intake.imap.moves import UidValidityChanged
from mailbot.intake.imap.overlap import Mover
from mailbot.testing.dovecot import DovecotServer, make_server_dir
from mailbot.understand.rules import RuleSet
from tests.support.corpus import corpus
from tests.support.imap import assert_each_in_its_folder, imap_only, make_app
from tests.support.inbound import rows


class Watched:
    """A real connection whose moves are recorded: which connection, which UIDs, and the status the
    moved messages had in the database at that moment (read on a connection of its own)."""

    def __init__(
        self,
        client: Any,
        number: int,
        app: App,
        log: list[tuple[int, list[int], set[str]]],
        fail_on_move: int | None = None,
        fetches: list[tuple[int, bool]] | None = None,
    ) -> None:
        self._client, self._number, self._app, self._log = client, number, app, log
        self._fail_on_move = fail_on_move
        self._moves = 0
        self._fetches = fetches if fetches is not None else []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def fetch(self, uids: list[int], data: list[bytes]) -> Any:
        self._fetches.append((self._number, threading.current_thread() is threading.main_thread()))
        return self._client.fetch(uids, data)

    def move(self, uids: list[int], folder: str) -> Any:
        self._moves += 1
        if self._fail_on_move == self._moves:
            raise IMAPClientError("the connection broke while moving")
        with self._app.sessions() as session:
            statuses = session.scalars(select(InboundMessage.status).where(InboundMessage.uid.in_(uids))).all()
        self._log.append((self._number, list(uids), {str(s) for s in statuses}))
        assert threading.current_thread() is not threading.main_thread() or self._number == 1
        return self._client.move(uids, folder)


def watching(app: App, fail_on_move: int | None = None, refuse_second: bool = False) -> tuple[Any, list[Any]]:
    log: list[tuple[int, list[int], set[str]]] = []
    made: list[int] = []
    fetches: list[tuple[int, bool]] = []  # (connection, in the main thread)

    def connect(imap: ImapConfig) -> Any:
        made.append(len(made) + 1)
        if refuse_second and len(made) > 1:
            raise IMAPClientError("[LIMIT] too many connections")
        return Watched(connect_imap(imap), len(made), app, log, fail_on_move if len(made) > 1 else None, fetches)

    return connect, [log, made, fetches]


@imap_only
def test_moves_run_on_a_second_connection_after_their_batch_committed(
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
) -> None:
    app = make_app(tmp_path, db_url, engine, server, fetch_batch=2)
    server.append(corpus(7))
    connect, (log, made, fetches) = watching(app)
    counters = drain_mailbox(app, rules, connect=connect)
    assert (counters.stored, counters.processed) == (7, 7)
    assert made == [1, 2]  # the listener's connection and the mover's
    assert fetches == [(1, False)] * 4  # on the listener's connection, by the fetching thread
    assert {number for number, _, _ in log} == {2}  # every move on the second one
    assert sorted(uid for _, uids, _ in log for uid in uids) == list(range(1, 8))
    assert all(str(InboundStatus.RECEIVED) not in statuses for _, _, statuses in log)  # processed and committed
    assert sum(counters.moved.values()) == 7
    assert_each_in_its_folder(app, server)  # and every move recorded before the pass ended


@imap_only
def test_parallel_moves_off_or_a_single_batch_move_on_the_one_connection(
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
) -> None:
    app = make_app(tmp_path, db_url, engine, server, fetch_batch=2)
    off = create_app(replace(app.config, imap=replace(app.config.imap, overlap=False)), engine=engine)
    server.append(corpus(5))
    connect, (log, made, fetches) = watching(off)
    drain_mailbox(off, rules, connect=connect)
    assert made == [1] and {number for number, _, _ in log} == {1}
    assert fetches == [(1, True)] * 3  # the connection moves too: no fetching beside it
    server.append(corpus(7)[5:6])  # one batch: nothing to overlap, no second connection
    connect, (log, made, _) = watching(app)
    drain_mailbox(app, rules, connect=connect)
    assert made == [1] and [uids for _, uids, _ in log] == [[6]]
    assert_each_in_its_folder(app, server)


@imap_only
def test_moves_without_move_capability_on_the_second_connection(
    tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet
) -> None:
    srv = DovecotServer(make_server_dir(), capability="IMAP4rev1 UIDPLUS").start()
    try:
        app = make_app(tmp_path, db_url, engine, srv, fetch_batch=2)
        srv.append(corpus(5))
        counters = drain_mailbox(app, rules)
        assert counters.processed == 5
        assert_each_in_its_folder(app, srv)
    finally:
        srv.remove()


@imap_only
def test_a_move_failing_on_the_second_connection_fails_the_pass_and_the_next_pass_moves_the_rest(
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
) -> None:
    app = make_app(tmp_path, db_url, engine, server, fetch_batch=2)
    server.append(corpus(7))
    connect, _ = watching(app, fail_on_move=2)
    with pytest.raises(IMAPClientError, match="broke while moving"):
        drain_mailbox(app, rules, connect=connect)
    left = set(server.uids("INBOX"))
    assert left  # what the failed move held, still in the folder
    first = rows(app)
    assert first and all(r.status != InboundStatus.RECEIVED for r in first)  # stored and processed
    # What did move before the failure is recorded where it went; what failed, as not known; what was not
    # handed over yet, as not moved.
    where = [(r.uid, r.server_folder) for r in first]
    assert all((r.server_folder in (UNKNOWN, None)) is (r.uid in left) for r in first), (where, left)
    assert UNKNOWN in {folder for _, folder in where}, where
    counters = drain_mailbox(app, rules)
    assert counters.stored == 7 - len(first) and counters.duplicates == 0
    assert len(rows(app)) == 7
    assert_each_in_its_folder(app, server)


@imap_only
def test_a_server_refusing_a_second_connection_gets_its_moves_inline(
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app(tmp_path, db_url, engine, server, fetch_batch=2)
    server.append(corpus(5))
    connect, (log, made, fetches) = watching(app, refuse_second=True)
    with caplog.at_level(logging.WARNING, logger="mailbot.intake.imap.overlap"):
        counters = drain_mailbox(app, rules, connect=connect)
    assert "no second connection for moving (error: [LIMIT]" in caplog.text
    assert made == [1, 2] and {number for number, _, _ in log} == {1}
    assert {in_main for _, in_main in fetches} == {True}
    assert counters.processed == 5
    assert_each_in_its_folder(app, server)


class FakeClient:
    def __init__(self, uidvalidity: int) -> None:
        self.uidvalidity = uidvalidity
        self.logged_out = False

    def select_folder(self, folder: str) -> dict[bytes, int]:
        return {b"UIDVALIDITY": self.uidvalidity}

    def logout(self) -> None:
        self.logged_out = True


def test_a_mover_refuses_a_folder_whose_uidvalidity_changed() -> None:
    client = FakeClient(8)
    with pytest.raises(UidValidityChanged, match="UIDVALIDITY 7 became 8"):
        Mover(client, "INBOX", 7, "move")  # type: ignore[arg-type]
    assert client.logged_out
    same = FakeClient(7)
    mover = Mover(same, "INBOX", 7, "move")  # type: ignore[arg-type]
    mover.close()
    assert same.logged_out


class Unselectable(FakeClient):
    def select_folder(self, folder: str) -> dict[bytes, int]:
        raise IMAPClientError(f"select failed: {folder}")


def test_a_second_connection_that_cannot_select_the_folder_leaves_the_moves_inline(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Unselectable(7)
    with caplog.at_level(logging.WARNING, logger="mailbot.intake.imap.overlap"):
        assert Mover.open(lambda: client, "INBOX", 7, "move") is None  # type: ignore[arg-type, return-value]
    assert client.logged_out and "no second connection for moving (error: select failed" in caplog.text
    with pytest.raises(UidValidityChanged):
        Mover.open(lambda: FakeClient(8), "INBOX", 7, "move")  # type: ignore[arg-type, return-value]


@imap_only
def test_fetch_batches_hold_a_bounded_number_of_bytes(
    server: DovecotServer, tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet
) -> None:
    # 4 messages a batch within 1 MiB: a message over 256 KiB has its size asked for, and one of
    # 700 KB leaves room for no more than one small one beside it.
    app = make_app(tmp_path, db_url, engine, server, fetch_batch=4, fetch_batch_bytes=1024 * 1024)
    raws = corpus(7)
    head, sep, body = raws[2].partition(b"\r\n\r\n")
    raws[2] = head + sep + body + (b"x" * 998 + b"\r\n") * 700  # about 700 KB
    server.append(raws)
    fetched: list[tuple[list[int], list[bytes]]] = []

    class Recorded:
        def __init__(self, client: Any) -> None:
            self._client = client

        def __getattr__(self, name: str) -> Any:
            return getattr(self._client, name)

        def fetch(self, uids: list[int], data: list[bytes]) -> Any:
            fetched.append((list(uids), list(data)))
            return self._client.fetch(uids, data)

    counters = drain_mailbox(app, rules, connect=lambda imap: Recorded(connect_imap(imap)))
    assert (counters.stored, counters.processed) == (7, 7)
    assert fetched == [
        ([3], [b"RFC822.SIZE"]),  # only the large one's size
        ([1, 2], [b"BODY.PEEK[]"]),  # 2 small ones (256 KiB each at most) and the large one would not fit
        ([3, 4], [b"BODY.PEEK[]"]),  # the large one and one small one do
        ([5, 6, 7], [b"BODY.PEEK[]"]),
    ]
    assert_each_in_its_folder(app, server)
