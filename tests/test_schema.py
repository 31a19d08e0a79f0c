"""The migrations create exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from mailbot.db.engine import make_engine, upgrade
from mailbot.db.models import Base


def test_migrations_match_models(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_twice_is_harmless(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)


def test_0005_marks_messages_an_earlier_version_may_have_moved_unrecorded(db_url: str) -> None:
    upgrade(db_url, "0004")
    engine = make_engine(db_url)
    columns = (
        "(dedup_key, sha256, raw_compressed, size, source, received_at, status, server_folder, "
        "verified_sender, card_number_detected, understanding, attempts)"
    )
    values = "(:k, '', :raw, 0, :s, :at, :st, :f, false, false, '{}', 0)"
    with engine.begin() as conn:
        rows = [
            ("a", "imap", "review", None),
            ("b", "imap", "received", None),
            ("c", "maildir", "processed", None),
            ("d", "imap", "processed", "x"),
        ]
        for key, source, status, folder in rows:
            conn.execute(
                text(f"INSERT INTO inbound_message {columns} VALUES {values}"),
                {"k": key, "raw": b"", "s": source, "at": datetime(2026, 12, 1, tzinfo=UTC), "st": status, "f": folder},
            )
    upgrade(db_url)
    with engine.connect() as conn:
        found = {str(k): f for k, f in conn.execute(text("SELECT dedup_key, server_folder FROM inbound_message"))}
    engine.dispose()
    assert found == {"a": "?", "b": None, "c": None, "d": "x"}
