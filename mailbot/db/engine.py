"""Creating engines and sessions, and running migrations (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

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


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL (``sqlite:///mailbot.db``), None for another database or memory."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    return None if path in ("", ":memory:") or path.startswith("file:") else Path(path)


def has_schema(engine: Engine) -> bool:
    """True when every table of the models exists (made by ``mailbot db upgrade``, or by ``create_all``)."""
    from mailbot.db.models import Base

    return set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


_REVISION = re.compile(r'^(down_)?revision\s*=\s*(?:"([^"]*)"|None)', re.MULTILINE)


def head_revision() -> str:
    """The newest migration, read from the files of ``alembic/versions`` without loading alembic (the one
    revision no other names as its ``down_revision``)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (alembic_dir() / "versions").glob("*.py"):
        for down, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            if value:
                (parents if down else revisions).add(value)
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"alembic/versions: expected one head revision, found {sorted(heads)}")
    return heads.pop()


def needs_upgrade(engine: Engine) -> bool:
    """True when ``mailbot db upgrade`` has something to do: no tables at all, or a schema that alembic
    made at an older revision. Tables made without alembic (``create_all``) are left as they are."""
    tables = set(inspect(engine).get_table_names())
    if not tables:
        return True
    if "alembic_version" not in tables:
        return False
    with engine.connect() as conn:
        versions = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return versions != {head_revision()}


def empty_engine() -> Engine:
    """An in-memory SQLite database with the schema and no rows: what a reading command shows on a fresh
    folder, without making the database file there."""
    from mailbot.db.models import Base

    engine = make_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine)
    return engine
