"""Helpers shared by CLI commands: loading the config and the app, the ``--actor`` option, local times.

Importing this module loads no SQLAlchemy (``mailbot --help`` needs none): the app and the database
helpers are imported when a command opens the app.
"""

from __future__ import annotations

import argparse
import logging
import os
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailbot.config import Config, DatabaseConfig, load_config
from mailbot.errors import InputError, UnavailableError

if TYPE_CHECKING:
    from mailbot.app import App

log = logging.getLogger(__name__)

# The embedded database: a SQLite file in the current folder, made (and migrated) by the first command
# that writes. Any other database is made by ``mailbot db upgrade`` only.
EMBEDDED_DATABASE_URL = DatabaseConfig().url


def config_path(args: argparse.Namespace) -> Path | None:
    if getattr(args, "config", None):
        return Path(args.config)
    if os.environ.get("MAILBOT_CONFIG"):
        return Path(os.environ["MAILBOT_CONFIG"])
    default = Path("mailbot.toml")
    return default if default.exists() else None


def get_config(args: argparse.Namespace) -> Config:
    return load_config(config_path(args))


def get_app(args: argparse.Namespace, *, read_only: bool = False) -> App:
    """The app on a database with its schema. ``read_only``: the command writes nothing, and leaves no
    file behind (``open_app``)."""
    return open_app(get_config(args), read_only=read_only)


def open_app(config: Config, *, read_only: bool = False, migrate: bool = True) -> App:
    """The app, once the database is known to have its schema.

    The embedded SQLite database (the default URL) looks after itself: a command that writes creates or
    migrates it (``alembic upgrade head``, as ``mailbot db upgrade``); a command that only reads, on a
    folder where it does not exist yet, reads an empty database in memory and makes no file. Any other
    database without its tables is an error, one line naming it (exit 69): ``mailbot db upgrade`` is
    staff's decision there. A configured SQLite file that does not exist is not created. ``migrate=False``
    (``mailbot run --no-upgrade``): the embedded database is treated as any other.
    """
    from mailbot.app import create_app
    from mailbot.db.engine import empty_engine, has_schema, needs_upgrade, sqlite_file

    url = config.database.url
    file = sqlite_file(url)
    if url == EMBEDDED_DATABASE_URL and file is not None and migrate:
        if not file.exists():
            if read_only:
                return create_app(config, engine=empty_engine(), read_only=True)
            _upgrade_embedded(url)
            return create_app(config)
        app = create_app(config, read_only=read_only)
        if needs_upgrade(app.engine):
            _upgrade_embedded(url)
        return app
    if file is not None and not file.exists():
        raise no_schema(url)
    app = create_app(config, read_only=read_only)
    try:
        if not has_schema(app.engine):
            raise no_schema(url)
    except BaseException:
        app.close()
        raise
    return app


def _upgrade_embedded(url: str) -> None:
    from mailbot.cli.exits import database_label
    from mailbot.db.engine import upgrade

    log.info("database %s: creating or migrating its schema (as 'mailbot db upgrade' does)", database_label(url))
    upgrade(url)


def no_schema(url: str) -> UnavailableError:
    from mailbot.cli.exits import database_label

    return UnavailableError(f"database {database_label(url)} has no schema: run mailbot db upgrade")


class VersionAction(argparse.Action):
    """``--version``: the installed package's version, looked up only when asked for."""

    def __init__(self, option_strings: list[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from importlib.metadata import version

        from mailbot.cli.output import print_line

        print_line(f"mailbot {version('mailbot')}")
        parser.exit()


def add_list_command(sub: Any, group: str, help: str, list_help: str) -> argparse.ArgumentParser:
    """``mailbot GROUP list``, with ``--limit N`` and ``--json``; the caller adds its filters and ``func``."""
    parser = sub.add_parser(group, help=help)
    actions = parser.add_subparsers(dest=f"{group}_command", required=True, metavar="ACTION")
    listing: argparse.ArgumentParser = actions.add_parser("list", help=list_help)
    listing.add_argument("--limit", type=int, default=1000, metavar="N", help=f"at most N {group} (default: 1000)")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return listing


def add_actor(parser: argparse.ArgumentParser, *old: str) -> None:
    """``--actor NAME``, the one flag for who does something; ``old`` spellings (``--by``, ``--as``) still
    work, hidden from the help."""
    parser.add_argument("--actor", metavar="NAME", help="who does it, for the audit log (default: $USER, else 'cli')")
    for spelling in old:
        parser.add_argument(spelling, dest="actor", help=argparse.SUPPRESS)


def actor(args: argparse.Namespace) -> str:
    return str(args.actor or os.environ.get("USER") or "cli").strip() or "cli"


def parse_day(value: str, option: str = "--date") -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option}: expected a date YYYY-MM-DD, got {value!r}") from None


def today_in(config: Config, now: datetime) -> date:
    return now.astimezone(config.tz).date()


def local_day(config: Config, instant: datetime) -> str:
    """An instant's day in the configured time zone (``general.timezone``), as the emails write it."""
    return f"{instant.astimezone(config.tz):%Y-%m-%d}"


def local_time(config: Config, instant: datetime | None) -> str:
    """An instant in the configured time zone, to the minute; '' for None."""
    return f"{instant.astimezone(config.tz):%Y-%m-%d %H:%M}" if instant is not None else ""
