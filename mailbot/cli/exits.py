"""The exit codes of ``mailbot`` (sysexits where one fits), and ``failure_of``: what any error a command
raises becomes at the one error boundary (``mailbot.cli.main``): a code and one line, no traceback.

====  ======================================================================================
code  meaning
====  ======================================================================================
0     done
1     the answer is no: a link not usable, rule files with errors, a CSV file with bad rows
      (nothing imported)
2     usage or bad input: a wrong option or argument, a configuration key, a record that does
      not exist, an action refused (argparse's own code for usage errors)
65    ``ingest``: the message is empty (EX_DATAERR)
66    ``ingest``: the file cannot be read (EX_NOINPUT)
69    the database cannot be used as configured: its file or folder cannot be opened or made,
      the server refused the login or has no such database, the schema is missing or older
      (``mailbot db upgrade``) (EX_UNAVAILABLE)
70    an unexpected error, a bug: the line names it, ``--verbose`` logs the traceback (EX_SOFTWARE)
74    a file mailbot must read or write cannot be (EX_IOERR)
75    temporary, try again later: the database server does not answer, is starting or stopping,
      a lock or a serialization conflict; ``ingest``: not stored, the MTA retries (EX_TEMPFAIL)
130   interrupted (Ctrl-C)
====  ======================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailbot import errors
from mailbot.errors import MailbotError, TransientError, UnavailableError
from mailbot.text import visible

if TYPE_CHECKING:
    from sqlalchemy.exc import DBAPIError

EX_OK = 0
EX_NO = 1
EX_USAGE = 2
EX_DATAERR = 65
EX_NOINPUT = 66
EX_UNAVAILABLE = 69
EX_SOFTWARE = 70
EX_IOERR = 74
EX_TEMPFAIL = 75
EX_INTERRUPTED = 130

# Driver messages of a database that may answer if asked again (the server is down or restarting, a lock).
_TEMPORARY_WORDS = (
    "connection refused",
    "timeout expired",
    "timed out",
    "starting up",
    "shutting down",
    "too many clients",
    "too many connections",
    "server closed the connection",
    "terminating connection",
    "connection reset",
    "database is locked",
    "database table is locked",
    "busy",
)
# SQLSTATE classes and codes of the same: connection exception, transaction rollback (serialization,
# deadlock), insufficient resources, operator intervention (shutdown); lock not available.
_TEMPORARY_STATES = ("08", "40", "53", "57", "55P03")
_NO_SCHEMA_STATES = ("42P01", "42703")  # undefined table, undefined column
_NO_SCHEMA_WORDS = ("no such table", "no such column")


@dataclass(frozen=True)
class Failure:
    code: int
    message: str  # one line, without the "mailbot: error: " in front
    problems: tuple[str, ...] = ()  # an error listing several (``RulesError.problems``): one line each


def failure_of(exc: BaseException, database: str) -> Failure:
    """The exit code and the one line for ``exc``; ``database`` names the configured database."""
    if isinstance(exc, TransientError):
        return Failure(EX_TEMPFAIL, f"{first_line(exc)} (temporary: try again later)")
    if isinstance(exc, UnavailableError):
        return Failure(EX_UNAVAILABLE, first_line(exc))
    if isinstance(exc, MailbotError):  # written for people, but may quote input: one line, or its problems
        problems = tuple(visible(str(p)) for p in getattr(exc, "problems", ()))
        headline = str(exc).split("\n", 1)[0] if problems else str(exc).strip()
        return Failure(EX_USAGE, visible(headline) or type(exc).__name__, problems)
    from sqlalchemy.exc import ArgumentError, DBAPIError  # SQLAlchemy loads only for an error beyond ours

    if isinstance(exc, DBAPIError):
        return database_failure(exc, database)
    if isinstance(exc, ArgumentError):  # create_engine could not make sense of the URL
        return Failure(EX_USAGE, f"database.url: {first_line(exc)}")
    if _is_alembic_error(exc):  # e.g. the database holds a revision this mailbot does not know
        return Failure(EX_UNAVAILABLE, f"database {database}: schema: {first_line(exc)}")
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return Failure(EX_IOERR, f"{where}{exc.strerror or first_line(exc)}")
    unexpected = f"unexpected {type(exc).__name__}: {first_line(exc)}"
    return Failure(EX_SOFTWARE, f"{unexpected} (run with --verbose for the traceback)")


def database_failure(exc: DBAPIError, database: str) -> Failure:
    """A driver error: temporary (75), the database not usable as configured (69), or a bug (70)."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    orig = exc.orig if exc.orig is not None else exc
    detail = first_line(orig)
    text = str(orig).lower()
    state = str(getattr(orig, "sqlstate", "") or "")
    if state in _NO_SCHEMA_STATES or any(w in text for w in _NO_SCHEMA_WORDS):
        return Failure(
            EX_UNAVAILABLE, f"database {database} has no schema, or an older one: run 'mailbot db upgrade' ({detail})"
        )
    if state.startswith(_TEMPORARY_STATES) or any(w in text for w in _TEMPORARY_WORDS):
        return Failure(EX_TEMPFAIL, f"database {database} is unavailable for now: {detail} (try again later)")
    if isinstance(exc, OperationalError | InterfaceError):
        return Failure(EX_UNAVAILABLE, f"database {database} cannot be used: {detail}")
    return Failure(EX_SOFTWARE, f"database {database}: unexpected {type(orig).__name__}: {detail}")


def database_label(url: str) -> str:
    """The URL to show: its password hidden."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.rsplit("@", 1)[-1]


def first_line(exc: BaseException) -> str:
    """The first non-empty line of the error's text (visible, at most 500 characters), else its type."""
    return visible(errors.first_line(exc))[:500]


def _is_alembic_error(exc: BaseException) -> bool:
    return any(c.__module__.startswith("alembic") for c in type(exc).__mro__)
