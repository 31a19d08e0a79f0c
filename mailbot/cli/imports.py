"""``mailbot import products|customers|services FILE.csv``: all rows or nothing.

Exit code 0 when the file was imported (or would be, with ``--dry-run``), 1 when any row is bad
(every bad row is listed on stderr and nothing is written), 2 for other errors.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from mailbot.cli.common import actor, add_actor, get_app
from mailbot.cli.output import count, print_error, print_line
from mailbot.db.engine import transaction
from mailbot.errors import InputError
from mailbot.importing import KINDS, CsvFile, ImportReport, import_csv


class _DryRun(Exception):
    """Raised to roll the import's transaction back after a dry run."""


def register(sub: Any) -> None:
    parser = sub.add_parser("import", help="import products, customers or services from a CSV file")
    kinds = parser.add_subparsers(dest="import_kind", required=True, metavar="KIND")
    for kind in KINDS:
        cmd = kinds.add_parser(kind, help=f"create or update {kind} from a CSV file (see docs/import.md)")
        cmd.add_argument("file", metavar="FILE.csv", type=Path, help="the CSV file (UTF-8, ',' or ';')")
        cmd.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
        add_actor(cmd)
        cmd.set_defaults(func=cmd_import, kind=kind)


def _import(args: argparse.Namespace, stream: BinaryIO, source: str) -> ImportReport:
    """Import in one transaction, rolled back after a dry run or when any row is bad."""
    app = get_app(args, read_only=args.dry_run)
    try:
        with transaction(app.sessions) as session:
            report = import_csv(
                session, CsvFile(args.kind, source, stream), config=app.config, now=datetime.now(UTC), actor=actor(args)
            )
            if args.dry_run or not report.ok:
                raise _DryRun
    except _DryRun:
        pass
    finally:
        app.close()
    return report


def cmd_import(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        stream = path.open("rb")  # read as the import goes: memory does not grow with the file
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    with stream:
        report = _import(args, stream, path.name)
    if not report.ok:
        for error in report.errors:
            print_error(f"{path}:{error.line}: {error.column}: {error.reason}")
        lines = len({e.line for e in report.errors})
        print_error(f"{path}: nothing imported: {count(len(report.errors), 'error')} on {count(lines, 'line')}")
        return 1
    verb = "would be" if args.dry_run else "were"
    print_line(
        f"{path}: {args.kind} {verb} imported: {report.created} created, "
        f"{report.updated} updated, {report.unchanged} unchanged"
    )
    return 0
