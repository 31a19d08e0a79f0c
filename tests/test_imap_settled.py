"""Messages in the review folder move on once staff have settled them (their tickets approved, rejected
or closed): the listener finds each there by its Message-ID and moves it where its status says, against
a real Dovecot. Skipped when Dovecot is not installed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

import mailbot.intake.imap.connection as connection_module
import mailbot.intake.imap.moves as moves_module
import mailbot.intake.imap.overlap as overlap_module
from mailbot.act.tickets import close_ticket, reject_ticket
from mailbot.db.engine import transaction
from mailbot.db.models import InboundMessage, Ticket
from mailbot.domain import InboundStatus
from mailbot.intake.imap.connection import LOST, UNKNOWN
from mailbot.intake.imap.listener import drain_mailbox
from mailbot.testing.dovecot import DovecotServer
from mailbot.understand.rules import RuleSet
from tests.support.corpus import corpus
from tests.support.imap import Crash, assert_each_in_its_folder, imap_only, make_app, variant
from tests.support.inbound import rows

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
REVIEW, PROCESSED = "mailbot/review", "mailbot/processed"


def settle(app: object, inbound_ids: list[int], how: str = "close") -> None:
    with transaction(app.sessions) as session:  # type: ignore[attr-defined]
        tickets = session.scalars(select(Ticket).where(Ticket.inbound_id.in_(inbound_ids))).all()
        assert tickets
        for ticket in tickets:
            if how == "reject":
                reject_ticket(session, ticket.id, "anna", "not for us", NOW)
            else:
                close_ticket(session, ticket.id, "anna", NOW, "answered by phone")


@imap_only
def test_settled_messages_leave_the_review_folder_at_the_next_pass(
    server: DovecotServer, tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet
) -> None:
    app = make_app(tmp_path, db_url, engine, server)
    server.append(corpus(6))
    drain_mailbox(app, rules)
    waiting = [r.id for r in rows(app) if r.status == InboundStatus.REVIEW]
    assert len(waiting) >= 3
    before = {PROCESSED: len(server.uids(PROCESSED)), REVIEW: len(server.uids(REVIEW))}
    settle(app, waiting[:1], "reject")
    settle(app, waiting[1:2])
    counters = drain_mailbox(app, rules)
    assert counters.moved == {PROCESSED: 2}
    assert len(server.uids(REVIEW)) == before[REVIEW] - 2 and len(server.uids(PROCESSED)) == before[PROCESSED] + 2
    assert_each_in_its_folder(app, server)  # every row's server_folder is where its status says
    assert drain_mailbox(app, rules).moved == {}  # nothing left to move


@imap_only
def test_a_message_id_found_as_part_of_another_is_not_moved_with_it(
    server: DovecotServer, tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet
) -> None:
    app = make_app(tmp_path, db_url, engine, server)
    raw = (Path(__file__).parent / "corpus" / "other_it.eml").read_bytes()
    server.append([variant(raw, "a1"), variant(raw, "xa1")])  # "a1@..." is inside "xa1@..."
    drain_mailbox(app, rules)
    found = rows(app)
    assert [r.status for r in found] == [InboundStatus.REVIEW, InboundStatus.REVIEW]
    settle(app, [found[0].id])
    assert drain_mailbox(app, rules).moved == {PROCESSED: 1}
    assert len(server.uids(REVIEW)) == 1
    assert_each_in_its_folder(app, server)


@imap_only
def test_a_settled_message_a_person_took_out_of_the_review_folder_is_left_alone(
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app(tmp_path, db_url, engine, server)
    raw = (Path(__file__).parent / "corpus" / "other_it.eml").read_bytes()
    server.append([variant(raw, "gone1")])
    drain_mailbox(app, rules)
    [row] = rows(app)
    assert row.server_folder == REVIEW
    with server.session() as client:  # a person deletes it in their mail client
        client.select_folder(REVIEW)
        client.delete_messages(client.search("ALL"))
        client.expunge()
    settle(app, [row.id])
    with caplog.at_level(logging.WARNING, logger="mailbot.intake.imap.connection"):
        counters = drain_mailbox(app, rules)
    assert counters.moved == {}
    assert "not found in mailbot/review by Message-ID" in caplog.text
    [row] = rows(app)
    assert row.status == InboundStatus.PROCESSED and row.server_folder == LOST
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="mailbot.intake.imap.connection"):
        assert drain_mailbox(app, rules).moved == {}
    assert "not found" not in caplog.text  # not looked for again


@imap_only
@pytest.mark.parametrize("parallel", [False, True], ids=["inline", "mover"])
def test_a_crash_between_the_move_and_its_record_still_lets_the_message_leave_the_review_folder(
    parallel: bool,
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process dies right after the server moved the messages, before anything else is written: the
    folder each was moved to was recorded before the move, so once settled they leave the review folder."""
    app = make_app(tmp_path, db_url, engine, server, overlap=parallel, fetch_batch=2)
    raw = (Path(__file__).parent / "corpus" / "other_it.eml").read_bytes()
    server.append([variant(raw, f"k{i}") for i in range(4)])  # two batches: the second one's moves use the mover

    def move_then_die(*args: Any) -> None:
        real_move(*args)
        raise Crash("killed after the MOVE")

    module = overlap_module if parallel else connection_module
    real_move = moves_module.move_uids
    with monkeypatch.context() as patched:
        patched.setattr(module, "move_uids", move_then_die)
        with pytest.raises(Crash):
            drain_mailbox(app, rules)
    moved = [r for r in rows(app) if r.server_folder == REVIEW]
    assert moved and len(server.uids(REVIEW)) == len(moved)  # on the server where the rows say
    settle(app, [r.id for r in moved])
    drain_mailbox(app, rules)  # the settled ones on from review, and the rest of the folder to review
    assert len(server.uids(PROCESSED)) == len(moved) and len(server.uids(REVIEW)) == 4 - len(moved)
    assert_each_in_its_folder(app, server)


@imap_only
def test_a_kill_after_processing_and_before_the_folder_is_recorded_raises_no_false_alarm(
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Processed and committed, killed before anything was recorded or moved: the next pass moves them as
    leftovers, and does not take them for messages that went missing from the review folder."""
    app = make_app(tmp_path, db_url, engine, server, overlap=False)
    raw = (Path(__file__).parent / "corpus" / "other_it.eml").read_bytes()
    server.append([variant(raw, f"r{i}") for i in range(2)])

    def die(*args: Any) -> None:
        raise Crash("killed before the folder was recorded")

    with monkeypatch.context() as patched:
        patched.setattr(connection_module.MailboxConnection, "_record", die)
        with pytest.raises(Crash):
            drain_mailbox(app, rules)
    assert all(r.status == InboundStatus.REVIEW and r.server_folder is None for r in rows(app))
    settle(app, [r.id for r in rows(app)][:1])  # settled before the restart: it must not be taken as lost
    with caplog.at_level(logging.WARNING, logger="mailbot.intake.imap.connection"):
        drain_mailbox(app, rules)
    assert "not found" not in caplog.text
    assert server.uids("INBOX") == [] and len(server.uids(PROCESSED)) == 1 and len(server.uids(REVIEW)) == 1
    assert_each_in_its_folder(app, server)


@imap_only
def test_a_message_an_earlier_version_moved_without_a_record_leaves_the_review_folder_once_settled(
    server: DovecotServer, tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet
) -> None:
    """Migration 0005 marks the rows an earlier version may have moved without recording where
    (``UNKNOWN``): looked for in the review folder once settled, and moved on from there."""
    app = make_app(tmp_path, db_url, engine, server)
    raw = (Path(__file__).parent / "corpus" / "other_it.eml").read_bytes()
    server.append([variant(raw, "old1")])
    drain_mailbox(app, rules)
    [row] = rows(app)
    with transaction(app.sessions) as session:
        session.execute(update(InboundMessage).values(server_folder=UNKNOWN))
    settle(app, [row.id])
    assert drain_mailbox(app, rules).moved == {PROCESSED: 1}
    assert server.uids(REVIEW) == []
    assert_each_in_its_folder(app, server)
