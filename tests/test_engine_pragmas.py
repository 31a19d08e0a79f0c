"""SQLite connections are set up for several processes and for durability: WAL, a busy timeout, foreign
keys, and synchronous=FULL (a COMMIT is on disk when it returns: intakes move mail right after it)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from mailbot.db.engine import make_engine


def test_sqlite_connections_are_durable_at_commit(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.sqlite'}")
    try:
        with engine.connect() as conn:
            pragmas = {name: conn.execute(text(f"PRAGMA {name}")).scalar() for name in
                       ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}  # fmt: skip
    finally:
        engine.dispose()
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 30000}
