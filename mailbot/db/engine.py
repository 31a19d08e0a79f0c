"""Creating engines and sessions, and running migrations (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from mailbot.errors import UnavailableError
from mailbot.paths import alembic_dir
from mailbot.storable import storable_json


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    kwargs.setdefault("json_serializer", json_dumps)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def json_dumps(value: Any) -> str:
    """The JSON columns' text: orjson, several times faster than ``json.dumps`` on the rows a batch
    writes (each message's understanding with its rule trace, tickets, audit events). A document with
    a NUL or a lone surrogate (from a broken header) is made storable first (``storable_json``: no
    database could read it back as text); ``json.dumps`` takes what orjson still refuses (an integer
    beyond 64 bits), so that anything stored before is stored still."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # orjson.JSONEncodeError is one: a lone surrogate, or an integer beyond 64 bits
        value = storable_json(value)
        try:
            return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:
            return json.dumps(value)
    if "\\u0000" in text:  # a NUL somewhere (or the six characters \u0000 written out, mended the same)
        return orjson.dumps(storable_json(value), option=orjson.OPT_NON_STR_KEYS).decode()
    return text


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, issue BEGIN, so writers take the lock up front.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL, not NORMAL: in WAL mode NORMAL may lose the last commits to a power cut or an OS crash,
    # and intakes move a message on the server (or unlink its file) right after its store COMMITs, so
    # a commit must be on disk when it returns. One fsync per commit (~0.15 ms measured here); the
    # IMAP listener and the outbound drain commit a batch at a time.
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # BEGIN IMMEDIATE: two processes never deadlock upgrading a read lock to a write lock.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Any:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(alembic_dir()))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at ``url`` up to ``revision`` (``mailbot db upgrade``)."""
    from alembic import command

    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        folder = Path(url.removeprefix("sqlite:///")).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UnavailableError(f"database {url}: cannot create its folder {folder}: {exc.strerror}") from exc
    command.upgrade(alembic_config(url), revision)


def is_current(engine: Engine) -> bool:
    """True when the schema has been created (the alembic version table exists)."""
    return "alembic_version" in inspect(engine).get_table_names()
