"""No single message stops the intake: the hostile corpus (``tests/hostile.py``) through each of the three
intakes, on SQLite and (with ``MAILBOT_TEST_DATABASE_URL``) PostgreSQL.

Every message is stored with its raw bytes intact (or, where even that fails, kept where a person sees it),
ends processed, in review or quarantined (never left to loop), and the ordinary message delivered after
them all is stored and processed like any other."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from mailbot.app import App, create_app
from mailbot.cli import main
from mailbot.db.models import InboundMessage, Ticket
from mailbot.domain import InboundStatus
from mailbot.intake.imap.listener import drain_mailbox
from mailbot.intake.maildir import message_files, poll_maildir
from mailbot.testing.dovecot import DovecotServer, dovecot_binary, make_server_dir
from mailbot.understand.rules import RuleSet
from tests.support.config import make_config
from tests.support.hostile import NORMAL, hostile_messages
from tests.support.maildir import NOW, deliver

HOSTILE = hostile_messages()
SETTLED = {InboundStatus.PROCESSED, InboundStatus.REVIEW, InboundStatus.QUARANTINED}


def stored_rows(app: App) -> list[InboundMessage]:
    with app.sessions() as session:
        return list(session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def assert_all_settled(app: App, expected_raws: list[bytes]) -> None:
    """One row per message, each settled, each keeping its raw bytes, the quarantined ones with a ticket;
    the ordinary message processed like any other."""
    rows = stored_rows(app)
    raws = {zlib.decompress(r.raw_compressed) for r in rows}
    missing = [raw[:80] for raw in expected_raws if raw not in raws]
    assert not missing, f"not stored intact: {missing}"
    assert {r.status for r in rows} <= SETTLED, [(r.id, r.subject, r.status) for r in rows if r.status not in SETTLED]
    with app.sessions() as session:
        ticketed = {t.inbound_id for t in session.scalars(select(Ticket))}
    assert all(r.id in ticketed for r in rows if r.status == InboundStatus.QUARANTINED)
    normal = next(r for r in rows if zlib.decompress(r.raw_compressed) == NORMAL)
    assert normal.status == InboundStatus.REVIEW and normal.kind == "human" and normal.intent is not None


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_the_pipe_stores_each_hostile_message_and_exits_0(
    name: str, config_file: Path, tmp_path: Path, app: App
) -> None:
    path = tmp_path / f"{name}.eml"
    path.write_bytes(HOSTILE[name])
    assert main(["--config", str(config_file), "ingest", str(path)]) == 0
    after = tmp_path / "normal.eml"
    after.write_bytes(NORMAL)
    assert main(["--config", str(config_file), "ingest", str(after)]) == 0
    assert_all_settled(app, [HOSTILE[name], NORMAL])


def test_the_maildir_stores_every_hostile_message_and_reaches_the_ones_behind(app: App, rules: RuleSet) -> None:
    root = app.config.path(app.config.inbound.maildir)
    for n, (name, raw) in enumerate(sorted(HOSTILE.items())):
        deliver(root, f"{1000 + n}.{name}.host", raw)
    deliver(root, "9999.normal.host", NORMAL)
    poll_maildir(app, rules, lambda: NOW)
    assert message_files(root) == []  # every file moved out of new/: none blocks the others
    assert_all_settled(app, [*HOSTILE.values(), NORMAL])
    assert poll_maildir(app, rules, lambda: NOW).stored == 0


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    if dovecot_binary() is None:
        pytest.skip("dovecot is not installed (Debian: apt-get install dovecot-imapd)")
    srv = DovecotServer(make_server_dir()).start()
    yield srv
    srv.remove()


def test_the_imap_listener_stores_every_hostile_message_and_reaches_the_ones_behind(
    dovecot: DovecotServer, tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet
) -> None:
    imap = {
        "host": dovecot.host,
        "port": dovecot.port,
        "security": "none",
        "username": dovecot.user,
        "password": dovecot.password,
        "timeout_seconds": 20.0,
    }
    app = create_app(make_config(tmp_path, db_url, imap=imap), engine=engine)
    # IMAP carries no NUL byte (RFC 3501 literals): Dovecot answers NUL-holding messages with 0x80 in its
    # place, so they arrive as other hostile bytes. Delivered as the MTA would, into the server's maildir.
    for n, (name, raw) in enumerate(sorted(HOSTILE.items())):
        dovecot.deliver(f"{1000 + n}.{name}.host", raw)
    dovecot.deliver("9999.normal.host", NORMAL)
    drain_mailbox(app, rules, now=NOW)
    assert dovecot.uids("INBOX") == []
    rows = stored_rows(app)
    assert len(rows) >= len(HOSTILE)  # (some Message-IDs read alike once made storable: never fewer rows)
    assert {r.status for r in rows} <= SETTLED
    assert all(r.server_folder for r in rows)
    normal = next(r for r in rows if r.message_id == "normal-after-hostile@example.org")
    assert normal.status == InboundStatus.REVIEW
    app.close()


# What the database refuses and nothing foresaw: a test database that refuses any value holding a marker,
# whatever the statement (on SQLite and PostgreSQL alike). A message whose Subject holds it cannot have its
# row; one whose text holds it cannot have its understanding stored, nor the error that names it. Each is
# kept all the same, quarantined with a ticket, and the intake goes on.
MARKER = "REFUSED-BY-THE-DATABASE"
REFUSED = {
    "subject": NORMAL.replace(b"Subject: Informazioni", b"Subject: " + MARKER.encode()).replace(
        b"<normal-after-hostile@", b"<refused-subject@"
    ),
    "text": NORMAL.replace(b"Grazie", MARKER.encode()).replace(b"<normal-after-hostile@", b"<refused-text@"),
}


def holds_marker(value: object) -> bool:
    """``MARKER`` in a statement's parameters (psycopg's JSON wrapper shortens its ``repr``: its ``obj``)."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return any(holds_marker(v) for v in value)
    return MARKER in repr(getattr(value, "obj", value))


@pytest.fixture
def refusing() -> Iterator[None]:
    def refuse(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if holds_marker(parameters):  # the error names the value, as databases' errors do
            raise ValueError(f"value refused by the test database: {MARKER}")

    event.listen(Engine, "before_cursor_execute", refuse)  # every engine: the CLI makes its own
    yield
    event.remove(Engine, "before_cursor_execute", refuse)


def assert_refused_kept(app: App) -> None:
    rows = stored_rows(app)
    kept = {zlib.decompress(r.raw_compressed): r for r in rows}
    row = kept[REFUSED["subject"]]  # its row refused: kept by its bytes alone
    assert row.status == InboundStatus.QUARANTINED and row.dedup_key.startswith("unstorable-sha256:")
    assert row.error and "could not be stored as it is" in row.error and row.subject is None
    text = kept[REFUSED["text"]]  # stored, then its understanding refused, then the error naming it too
    assert text.status == InboundStatus.QUARANTINED and "its text could not be recorded" in (text.error or "")
    assert {r.status for r in rows} <= SETTLED
    with app.sessions() as session:
        ticketed = {t.inbound_id for t in session.scalars(select(Ticket))}
    assert all(r.id in ticketed for r in rows if r.status == InboundStatus.QUARANTINED)
    assert kept[NORMAL].status == InboundStatus.REVIEW


@pytest.mark.usefixtures("refusing")
def test_the_pipe_keeps_a_message_the_database_refuses_and_exits_0(config_file: Path, tmp_path: Path, app: App) -> None:
    for name, raw in [*REFUSED.items(), ("normal", NORMAL)]:
        path = tmp_path / f"{name}.eml"
        path.write_bytes(raw)
        assert main(["--config", str(config_file), "ingest", str(path)]) == 0
        assert main(["--config", str(config_file), "ingest", str(path)]) == 0  # again: the same row
    assert len(stored_rows(app)) == 3
    assert_refused_kept(app)


@pytest.mark.usefixtures("refusing")
def test_the_maildir_quarantines_a_message_the_database_refuses(app: App, rules: RuleSet) -> None:
    root = app.config.path(app.config.inbound.maildir)
    for n, raw in enumerate([*REFUSED.values(), NORMAL]):
        deliver(root, f"{1000 + n}.host", raw)
    poll_maildir(app, rules, lambda: NOW)
    assert message_files(root) == []
    assert_refused_kept(app)
    assert sorted(p.name for p in (root / ".quarantine" / "cur").iterdir()) == ["1000.host:2,", "1001.host:2,"]


@pytest.mark.usefixtures("refusing")
def test_the_imap_listener_quarantines_a_message_the_database_refuses(
    dovecot: DovecotServer, tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet
) -> None:
    imap = {
        "host": dovecot.host,
        "port": dovecot.port,
        "security": "none",
        "username": dovecot.user,
        "password": dovecot.password,
    }
    app = create_app(make_config(tmp_path, db_url, imap=imap), engine=engine)
    dovecot.append([*REFUSED.values(), NORMAL])
    drain_mailbox(app, rules, now=NOW)
    assert dovecot.uids("INBOX") == []
    assert_refused_kept(app)
    assert len(dovecot.uids(app.config.imap.quarantine_folder)) == 2
    app.close()
