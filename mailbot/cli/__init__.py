"""The ``mailbot`` command line. Each command group lives in its own module with a ``register``."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from mailbot.cli.common import VersionAction, get_config
from mailbot.cli.exits import EX_INTERRUPTED, EX_IOERR, database_label, failure_of
from mailbot.cli.output import print_lines
from mailbot.logs import configure_logging

log = logging.getLogger("mailbot")

# Modules under mailbot.cli, each with ``register(subparsers)``; a command sets ``func`` to a
# callable taking the parsed args and returning the exit code.
COMMAND_MODULES = (
    "customers",
    "db",
    "due",
    "imports",
    "ingest",
    "links",
    "orders",
    "outbox",
    "parse",
    "render",
    "rules",
    "run",
    "services",
    "tickets",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailbot", description="Email-driven renewal bot.")
    parser.add_argument(
        "--config",
        "-c",
        metavar="FILE",
        help="TOML config file (default: $MAILBOT_CONFIG, else ./mailbot.toml if present, else built-in defaults)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log debug messages")
    parser.add_argument("--version", action=VersionAction, help="print mailbot's version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"mailbot.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(verbose=args.verbose)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return EX_INTERRUPTED
    except BrokenPipeError:  # the reader went away (``mailbot tickets list | head``): nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return EX_IOERR
    except Exception as exc:  # the one error boundary: a code and one line (mailbot/cli/exits.py)
        failure = failure_of(exc, _database(args))
        if args.verbose:
            log.debug("the error in full", exc_info=exc)
        print_lines([f"mailbot: error: {failure.message}", *(f"  {p}" for p in failure.problems)], file=sys.stderr)
        return failure.code
    return code


def _database(args: argparse.Namespace) -> str:
    """The configured database, for an error line (its password hidden)."""
    try:
        return database_label(get_config(args).database.url)
    except Exception:
        return "(as configured)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
