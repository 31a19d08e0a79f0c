"""The ``mailbot`` command line. Each command group lives in its own module with a ``register``.

The command line starts fast because it imports only the chosen command's module: the top-level
parser lists every command from ``COMMANDS`` (name, module, one-line help) without importing any of
them, a first parse finds which command was chosen, and the real parser is built with that command's
module registered (``register(subparsers)``) and the others as stand-ins, then parses again.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any, NamedTuple

from mailbot.cli.common import VersionAction
from mailbot.cli.exits import EX_INTERRUPTED, EX_IOERR, database_label, failure_of
from mailbot.cli.output import print_lines
from mailbot.logs import configure_logging

log = logging.getLogger("mailbot")


class Command(NamedTuple):
    name: str  # what the user types
    module: str  # under mailbot.cli, with ``register(subparsers)`` adding this command's parser
    help: str  # the line in ``mailbot --help``: the same as the module's own ``add_parser(help=...)``


# The commands in the order ``mailbot --help`` lists them, a module's commands next to each other; adding
# one is one line here (tests/test_cli_startup.py checks each line against what its module registers).
# A command sets ``func`` to a callable taking the parsed args and returning the exit code.
COMMANDS = (
    Command("customers", "customers", "the customers: list"),
    Command("db", "db", "database schema"),
    Command("due", "due", "preview the reminders and payment emails due on a day (writes nothing)"),
    Command("import", "imports", "import products, customers or services from a CSV file"),
    Command("ingest", "ingest", "store and process one email from a file or standard input (for an MTA pipe)"),
    Command("invoices", "invoices", "invoices: list, issue the due ones now"),
    Command("link", "links", "renewal links"),
    Command("orders", "orders", "orders: create, list, register a payment, cancel, payment sweep"),
    Command("outbox", "outbox", "outgoing mail: list, retry, undeliverable addresses"),
    Command("parse", "parse", "show what the bot would understand of .eml files (dry run)"),
    Command("payments", "payments", "payments: record money received, import bank statements"),
    Command("render", "render", "preview one email in the terminal (writes nothing)"),
    Command("rules", "rules", "the inbound parsing rules"),
    Command("run", "run", "run the scheduler: reminder sweeps, payment reminders, sending"),
    Command("demo", "run", "run one day of mailbot on demo data in a temporary folder"),
    Command("services", "services", "the customers' services: list"),
    Command("status", "status", "one customer's services, expiries, storage and orders (writes nothing)"),
    Command("tickets", "tickets", "support tickets and staff requests from customers' mail"),
)


def top_level_parser() -> tuple[argparse.ArgumentParser, Any]:
    """The ``mailbot`` parser with its own options and no command yet, and its subparsers (where each
    module's ``register`` adds its commands)."""
    parser = argparse.ArgumentParser(prog="mailbot", description="Email-driven renewal bot.")
    parser.add_argument(
        "--config",
        "-c",
        metavar="FILE",
        help="TOML config file (default: $MAILBOT_CONFIG, else ./mailbot.toml if present, else built-in defaults)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log debug messages")
    parser.add_argument("--version", action=VersionAction, help="print mailbot's version and exit")
    return parser, parser.add_subparsers(dest="command", required=True, metavar="COMMAND")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with ``command``'s module registered (all of its commands) and every other command a
    stand-in that takes any arguments; with no command, stand-ins only: enough for ``--help`` and to
    find the chosen command."""
    parser, sub = top_level_parser()
    chosen = next((c.module for c in COMMANDS if c.name == command), None)
    for c in COMMANDS:
        if c.module != chosen:
            sub.add_parser(c.name, help=c.help, add_help=False)
        elif c.name not in sub.choices:  # the module registers its commands at its first one
            importlib.import_module(f"mailbot.cli.{c.module}").register(sub)
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The parsed command line, with the chosen command's module the only one imported. The first parse
    (stand-ins only) prints the top-level help and the errors of the top-level parser, the second the
    chosen command's help and errors: the same as one parser holding every command."""
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen, _ = build_parser().parse_known_args(argv)
    return build_parser(chosen.command).parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
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
    from mailbot.cli.common import get_config  # the config loads only for this error line

    try:
        return database_label(get_config(args).database.url)
    except Exception:
        return "(as configured)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
