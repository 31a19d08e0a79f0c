"""No traceback from the command line: with the database down, unopenable or empty, every command prints
one line naming the problem and exits with the documented code (``mailbot/cli/exits.py``, README)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import exc as sa_exc

from mailbot.cli import main
from mailbot.cli.exits import (
    EX_SOFTWARE,
    EX_TEMPFAIL,
    EX_UNAVAILABLE,
    EX_USAGE,
    database_label,
    failure_of,
)
from mailbot.errors import ConfigError, InputError, TransientError, UnavailableError
from mailbot.outbound.links import LinkGrant, LinkSigner

PG_DOWN = "postgresql://postgres:secret@127.0.0.1:1/mailbot"  # nothing listens on port 1
SECRET = "test-secret"
LINK = LinkSigner(SECRET, "https://x.example/r", 120).make_url(
    LinkGrant(1, "renew", ((1, date(2026, 12, 31)),), None, datetime.now(UTC))
)

# Every command that reads or writes the database (ingest keeps its own codes: 75, the MTA retries).
COMMANDS: list[tuple[str, ...]] = [
    ("db", "upgrade"),
    ("run",),
    ("run", "--no-upgrade"),
    ("due",),
    ("due", "--json"),
    ("outbox", "list"),
    ("outbox", "retry", "1"),
    ("outbox", "undeliverable"),
    ("outbox", "deliverable", "C1"),
    ("tickets", "list"),
    ("tickets", "show", "1"),
    ("tickets", "approve", "1"),
    ("tickets", "close", "1"),
    ("orders", "list"),
    ("orders", "paid", "ORD-2026-000001"),
    ("orders", "sweep"),
    ("render", "expiry_reminder", "--service", "1"),
    ("link", "check", LINK),
    ("import", "customers", "{csv}"),
    ("ingest", "{eml}"),
]
NEEDS_SCHEMA = [argv for argv in COMMANDS if argv[0] != "db" and argv != ("run",)]  # these two create it


def _cli(tmp_path: Path, url: str, argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    config = tmp_path / "mailbot.toml"
    config.write_text(
        f'[general]\ndata_dir = "{tmp_path}"\n[database]\nurl = "{url}"\n[links]\nsecret = "{SECRET}"\n',
        encoding="utf-8",
    )
    (tmp_path / "c.csv").write_text("external_id,kind,name,email\nC1,private,Anna,anna@example.org\n")
    (tmp_path / "m.eml").write_bytes(b"From: a@example.org\nSubject: hi\nMessage-ID: <m@x>\n\nhello\n")
    args = [a.format(csv=tmp_path / "c.csv", eml=tmp_path / "m.eml") for a in argv]
    code = main(["--config", str(config), *args])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.err


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_database_unreachable(argv: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _cli(tmp_path, PG_DOWN, argv, capsys)
    line = _one_line(err)
    assert code == EX_TEMPFAIL, line
    if argv[0] != "ingest":
        assert line.startswith("mailbot: error: database postgresql://postgres:***@127.0.0.1:1/mailbot")
        assert "Connection refused" in line and "try again" in line and "secret" not in line


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("where", ["missing folder", "read-only folder"])
def test_sqlite_file_cannot_be_opened(
    where: str, argv: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if where == "missing folder":
        (tmp_path / "plain-file").write_text("not a folder")
        path = tmp_path / "plain-file" / "data" / "mailbot.db"  # no folder can be made there, even by root
    else:
        path = Path("/proc/mailbot-test/mailbot.db")  # /proc takes no new files, even from root
    code, err = _cli(tmp_path, f"sqlite:///{path}", argv, capsys)
    line = _one_line(err)
    if argv[0] == "ingest":
        assert code == EX_TEMPFAIL
        return
    assert code == EX_UNAVAILABLE, line
    assert line.startswith(f"mailbot: error: database sqlite:///{path}")


@pytest.mark.parametrize("argv", NEEDS_SCHEMA, ids=" ".join)
def test_database_without_schema(
    argv: tuple[str, ...], db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _cli(tmp_path, db_url, argv, capsys)
    line = _one_line(err)
    if argv[0] == "ingest":
        assert code == EX_TEMPFAIL
        return
    assert code == EX_UNAVAILABLE, line
    assert "mailbot db upgrade" in line


@pytest.mark.parametrize("argv", [("run",), ("db", "upgrade"), ("tickets", "list")], ids=" ".join)
def test_real_process(argv: tuple[str, ...], tmp_path: Path) -> None:
    """The installed entry point, in its own process, with logging on: still one line and the code."""
    config = tmp_path / "mailbot.toml"
    config.write_text(f'[database]\nurl = "{PG_DOWN}"\n[links]\nsecret = "s"\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mailbot", "--config", str(config), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert done.returncode == EX_TEMPFAIL, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.strip().splitlines()[-1].startswith("mailbot: error: database postgresql://")


# The classification, as values ----------------------------------------------------------------------


def _dbapi(orig: Exception) -> sa_exc.DBAPIError:
    wrapper = sa_exc.OperationalError if isinstance(orig, sqlite3.OperationalError | psycopg.OperationalError) else None
    return (wrapper or sa_exc.DBAPIError)("SELECT 1", {}, orig)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "code", "words"),
    [
        (_dbapi(sqlite3.OperationalError("database is locked")), EX_TEMPFAIL, "database is locked"),
        (_dbapi(psycopg.errors.SerializationFailure("could not serialize access")), EX_TEMPFAIL, "serialize"),
        (_dbapi(psycopg.errors.AdminShutdown("terminating connection")), EX_TEMPFAIL, "terminating"),
        (_dbapi(psycopg.errors.UndefinedTable('relation "ticket" does not exist')), EX_UNAVAILABLE, "db upgrade"),
        (_dbapi(sqlite3.OperationalError("no such table: ticket")), EX_UNAVAILABLE, "db upgrade"),
        (_dbapi(psycopg.OperationalError("FATAL: password authentication failed")), EX_UNAVAILABLE, "password"),
        (_dbapi(sqlite3.OperationalError("unable to open database file")), EX_UNAVAILABLE, "unable to open"),
        (_dbapi(psycopg.errors.NumericValueOutOfRange("integer out of range")), EX_SOFTWARE, "out of range"),
        (sa_exc.ArgumentError("Could not parse SQLAlchemy URL from string 'x'"), EX_USAGE, "database.url"),
        (TransientError("smtp busy"), EX_TEMPFAIL, "smtp busy"),
        (UnavailableError("cannot create the folder /x"), EX_UNAVAILABLE, "/x"),
        (ConfigError("smtp.port: expected an integer"), EX_USAGE, "smtp.port"),
        (InputError("--date: expected a date"), EX_USAGE, "--date"),
        (PermissionError(13, "Permission denied", "/srv/link-secret"), 74, "/srv/link-secret: Permission denied"),
        (ValueError("a bug\nsecond line"), EX_SOFTWARE, "unexpected ValueError: a bug (run with --verbose"),
    ],
)
def test_failure_of(exc: BaseException, code: int, words: str) -> None:
    failure = failure_of(exc, "sqlite:///x.db")
    assert failure.code == code and words in failure.message and "\n" not in failure.message


def test_database_label_hides_the_password() -> None:
    assert database_label("postgresql://u:pw@db.example:5432/m") == "postgresql://u:***@db.example:5432/m"
    assert database_label("sqlite:////var/lib/mailbot/mailbot.db") == "sqlite:////var/lib/mailbot/mailbot.db"
    assert database_label("not a url") == "not a url"


def test_our_own_errors_keep_their_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.toml").write_text('[[rule]]\nname = "x"\n', encoding="utf-8")
    code = main(["parse", "--rules", str(tmp_path), str(tmp_path / "bad.toml")])
    err = capsys.readouterr().err
    assert code == EX_USAGE and err.startswith("mailbot: error: invalid rules:\n  bad.toml") and "Traceback" not in err
