"""``mailbot db upgrade``: create or migrate the schema."""

from __future__ import annotations

import argparse
from typing import Any

from mailbot.cli.common import get_config
from mailbot.cli.output import print_line
from mailbot.db.engine import upgrade


def register(sub: Any) -> None:
    db = sub.add_parser("db", help="database schema")
    dbsub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = dbsub.add_parser("upgrade", help="create or migrate the schema to the latest version")
    up.set_defaults(func=cmd_upgrade)


def cmd_upgrade(args: argparse.Namespace) -> int:
    config = get_config(args)
    upgrade(config.database.url)
    print_line(f"database at {config.database.url.split('@')[-1]} is up to date")
    return 0
