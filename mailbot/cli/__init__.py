"""The ``mailbot`` command line. Each command group lives in its own module with a ``register``."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from mailbot.cli.output import print_error
from mailbot.errors import MailbotError
from mailbot.logs import configure_logging

# Modules under mailbot.cli, each with ``register(subparsers)``; a command sets ``func`` to a
# callable taking the parsed args and returning the exit code.
COMMAND_MODULES = (
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
    except MailbotError as exc:
        print_error(f"mailbot: error: {exc}")
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
