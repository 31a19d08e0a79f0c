"""``mailbot run`` (the long-running process) and ``mailbot demo`` (one day on a fresh machine)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from mailbot.cli.common import get_config, open_app, parse_day


def register(sub: Any) -> None:
    run = sub.add_parser("run", help="run the scheduler: reminder sweeps, payment reminders, sending")
    run.add_argument("--no-upgrade", action="store_true", help="do not create or migrate the database schema at start")
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="run one day of mailbot on demo data in a temporary folder")
    demo.add_argument("--dir", help="folder to use (and keep) instead of a new temporary one")
    demo.add_argument("--date", metavar="YYYY-MM-DD", help="the day to simulate (default: today)")
    demo.add_argument("--keep", action="store_true", help="keep the temporary folder and print where it is")
    demo.set_defaults(func=cmd_demo)


def cmd_run(args: argparse.Namespace) -> int:
    from mailbot.db.engine import upgrade
    from mailbot.outbound.senders import make_sender
    from mailbot.process import freeze_startup_objects
    from mailbot.runner import Runner

    config = get_config(args)
    if not args.no_upgrade:
        upgrade(config.database.url)  # any database: the long-running process brings its schema up to date
    app = open_app(config, migrate=not args.no_upgrade)  # --no-upgrade: no schema is one line (exit 69)

    async def main() -> None:
        runner = Runner(app, make_sender(app.config))
        freeze_startup_objects()  # everything is loaded: out of the garbage collector's way (mailbot/process.py)
        await runner.run_until_stopped()

    try:
        asyncio.run(main())
    finally:
        app.close()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from mailbot.demo import main

    folder = Path(args.dir) if args.dir else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    return main(folder, parse_day(args.date) if args.date else None, keep=args.keep)
