"""``mailbot db upgrade``: create or migrate the schema; ``mailbot db redact``: mask card numbers stored
by earlier versions."""

from __future__ import annotations

import argparse
from typing import Any

from mailbot.cli.common import get_app, get_config
from mailbot.cli.exits import database_label
from mailbot.cli.output import count, print_line
from mailbot.db.engine import upgrade
from mailbot.intake.redact_stored import redact_maildir, redact_stored


def register(sub: Any) -> None:
    db = sub.add_parser("db", help="database schema")
    dbsub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = dbsub.add_parser("upgrade", help="create or migrate the schema to the latest version")
    up.set_defaults(func=cmd_upgrade)
    red = dbsub.add_parser(
        "redact",
        help="mask the card numbers earlier versions left in stored messages and the Maildir's copies",
        description="Once after upgrading from a version before issue 9's redaction: masks every card number "
        "left in the stored messages, what was read from them (understanding, tickets, audit, replies) and the "
        "copies in the Maildir's sub-folders. Safe to stop and run again. Copies on an IMAP server are not "
        "rewritten.",
    )
    red.add_argument("--dry-run", action="store_true", help="only count what would change")
    red.set_defaults(func=cmd_redact)


def cmd_redact(args: argparse.Namespace) -> int:
    app = get_app(args)
    try:
        done = redact_stored(app.sessions, dry_run=args.dry_run)
        maildir = redact_maildir(app.config.path(app.config.inbound.maildir), dry_run=args.dry_run)
    finally:
        app.close()
    changed = {**done.changed, **maildir.changed}
    verb = "would change" if args.dry_run else "changed"
    for where, n in sorted(changed.items()):
        print_line(f"{where}: {n} {verb}")
    print_line(f"redact: {count(sum(changed.values()), 'value')} {verb}")
    return 0


def cmd_upgrade(args: argparse.Namespace) -> int:
    config = get_config(args)
    upgrade(config.database.url)
    print_line(f"database {database_label(config.database.url)} is up to date")
    return 0
