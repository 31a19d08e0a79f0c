"""``mailbot ingest FILE.eml`` and ``mailbot ingest -`` (standard input, for an MTA pipe).

The message is stored (``store_raw``, committed), then processed. Exit codes follow sysexits, which
MTAs understand:
- 0: stored, or already stored before (a duplicate); processing problems do not change it, since the
  message is safe and ``mailbot run`` retries whatever is still pending;
- 75 (EX_TEMPFAIL): not stored for a reason that may go away (database unreachable or locked, a
  configuration error, anything unexpected): the MTA keeps the message and retries later;
- 66 (EX_NOINPUT): the file cannot be read; 65 (EX_DATAERR): the input is empty.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from mailbot.act.pipeline import process_inbound
from mailbot.cli.common import get_config, open_app
from mailbot.cli.exits import EX_DATAERR, EX_NOINPUT, EX_OK, EX_TEMPFAIL
from mailbot.cli.output import print_error, print_line
from mailbot.db.engine import transaction
from mailbot.domain import InboundStatus
from mailbot.errors import MailbotError, UnavailableError, first_line
from mailbot.intake.store import Origin, StoreResult, store_raw
from mailbot.paths import rules_dir
from mailbot.understand.rules import load_rules

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    ingest = sub.add_parser(
        "ingest",
        help="store and process one email from a file or standard input (for an MTA pipe)",
        description="Store one email, then process it. Exit 0 when stored (also when it was already stored), "
        "75 on a temporary failure so that the MTA retries, 66 when the file cannot be read.",
    )
    ingest.add_argument("file", metavar="FILE", help="an .eml file, or - to read the message from standard input")
    ingest.add_argument(
        "--no-process", action="store_true", help="only store it; 'mailbot run' processes it with the pending mail"
    )
    ingest.set_defaults(func=cmd_ingest)


def read_input(name: str) -> bytes:
    """The raw message from ``name`` (``-``: standard input)."""
    if name == "-":
        return sys.stdin.buffer.read()
    return Path(name).read_bytes()


def cmd_ingest(args: argparse.Namespace) -> int:
    source = "pipe" if args.file == "-" else "file"
    where = "standard input" if args.file == "-" else args.file
    try:
        raw = read_input(args.file)
    except OSError as exc:
        print_error(f"mailbot ingest: cannot read {where}: {exc.strerror or exc}")
        return EX_NOINPUT
    if not raw.strip():
        print_error(f"mailbot ingest: {where}: empty message, nothing stored")
        return EX_DATAERR
    try:
        config = get_config(args)
        app = open_app(config)  # the embedded database is created at the first message
    except (MailbotError, OSError, SQLAlchemyError) as exc:  # fixed by staff (a broken config or data folder, no
        # schema) or by time (the server does not answer): the MTA keeps the message and tries again
        kind = " (database unavailable)" if isinstance(exc, UnavailableError | SQLAlchemyError) else ""
        print_error(f"mailbot ingest: {where}: not stored{kind}, will be retried: {first_line(exc)[:300]}")
        return EX_TEMPFAIL
    try:
        try:
            now = datetime.now(UTC)
            with transaction(app.sessions) as session:
                stored = store_raw(session, raw, Origin(source), now=now, config=config)
        except Exception as exc:  # the MTA keeps the message and tries again
            kind = "database unavailable" if isinstance(exc, OperationalError) else type(exc).__name__
            print_error(f"mailbot ingest: {where}: not stored ({kind}), will be retried: {first_line(exc)[:300]}")
            return EX_TEMPFAIL
        _report(where, stored)
        if not stored.duplicate and stored.status == InboundStatus.RECEIVED and not args.no_process:
            _process(app, stored.inbound_id)
    finally:
        app.close()
    return EX_OK


def _process(app: Any, inbound_id: int) -> None:
    """Process the stored message; a failure here leaves it pending for ``mailbot run`` (exit stays 0)."""
    try:
        outcome = process_inbound(app, inbound_id, datetime.now(UTC), load_rules(rules_dir()))
    except Exception as exc:
        print_error(f"mailbot ingest: stored as id {inbound_id}; processing deferred: {first_line(exc)[:300]}")
        return
    print_line(f"processed: id {inbound_id} {outcome.status.value}")


def _report(where: str, stored: StoreResult) -> None:
    if stored.duplicate:
        print_line(f"duplicate: {where} is already stored as id {stored.inbound_id} ({stored.status.value})")
    else:
        print_line(f"stored: {where} as id {stored.inbound_id} ({stored.status.value})")
