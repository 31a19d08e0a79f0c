"""SQLite connections are set up for several processes and for durability: WAL, a busy timeout, foreign
keys, and synchronous=FULL (a COMMIT is on disk when it returns: intakes move mail right after it).
JSON columns are written by orjson, by ``json`` where orjson refuses."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
from sqlalchemy import select, text

from mailbot.app import App
from mailbot.db.engine import json_dumps, make_engine, transaction
from mailbot.db.models import AuditEvent


def test_sqlite_connections_are_durable_at_commit(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.sqlite'}")
    try:
        with engine.connect() as conn:
            pragmas = {
                name: conn.execute(text(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        engine.dispose()
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 30000}


def test_json_columns_are_written_by_orjson_and_by_json_where_orjson_refuses() -> None:
    value = {"intent": "renewal_request", "fields": {"years": 2, "cig": ["Z0A1B2C3D4"]}, 3: "città", "ok": True}
    written = json_dumps(value)
    assert json.loads(written) == {
        "intent": "renewal_request",
        "fields": {"years": 2, "cig": ["Z0A1B2C3D4"]},
        "3": "città",
        "ok": True,
    }
    assert written == orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    broken = {"subject": "Rinnovo \udce8", "big": 2**70}  # a lone surrogate, an integer beyond 64 bits
    assert json_dumps(broken) == json.dumps({"subject": "Rinnovo \ufffd", "big": 2**70})  # made storable


def test_a_json_column_round_trips_through_the_database(app: App) -> None:
    with transaction(app.sessions) as session:
        session.add(AuditEvent(actor="t", action="a", entity="x", entity_id="1", details={"n": [1, 2], "s": "è"}))
    with app.sessions() as session:
        assert session.scalars(select(AuditEvent.details)).one() == {"n": [1, 2], "s": "è"}
