"""``mailbot payments import FILE... [--dry-run]`` and ``mailbot payments lines [--outcome X]``.

``import`` reads every file first: one that cannot be read or is not a statement (camt.053, MT940)
is an error naming it and the place (exit 2) and nothing is imported. Then each file is imported in
its own transaction (``billing.statement_import``), one line per statement line printed (day, amount,
outcome, order, what was done) and a summary per file. ``--dry-run`` reads and matches, writes
nothing. Importing a file again does nothing and says so. ``lines`` lists the imported lines, by
default those staff must look at, with their ticket.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mailbot.billing.reconcile import Outcome
from mailbot.billing.statement_import import import_statements, preview_statements
from mailbot.billing.statement_plan import ALREADY_IMPORTED, ALREADY_RECORDED, ImportReport, LineResult
from mailbot.billing.statements import Statement, parse_statements
from mailbot.billing.statements.values import format_cents
from mailbot.cli.common import actor, add_actor, get_app
from mailbot.cli.output import print_line, print_listing, print_table
from mailbot.db.engine import transaction
from mailbot.db.models import Order, StatementLine, Ticket
from mailbot.errors import InputError

OUTCOMES = [*(o.value for o in Outcome), ALREADY_RECORDED]
FOR_STAFF = [o for o in OUTCOMES if o not in (Outcome.PAID, Outcome.DEBIT)]


def register_statements(psub: Any) -> None:
    imp = psub.add_parser("import", help="import bank statements (camt.053, MT940): pay orders, tell staff")
    imp.add_argument("files", metavar="FILE", nargs="+", type=Path, help="statement files (camt.053 XML or MT940)")
    imp.add_argument("--dry-run", action="store_true", help="read and match, write nothing")
    add_actor(imp)
    imp.set_defaults(func=cmd_import)
    lines = psub.add_parser("lines", help="imported statement lines (default: those for staff)")
    lines.add_argument(
        "--outcome",
        choices=[*OUTCOMES, "staff", "all"],
        default="staff",
        help="only lines with this outcome; 'staff': every line for staff (default), 'all': every line",
    )
    lines.add_argument("--limit", type=int, default=1000, metavar="N", help="at most N lines (default: 1000)")
    lines.add_argument("--json", action="store_true", help="print JSON instead of a table")
    lines.set_defaults(func=cmd_lines)


def _read(path: Path) -> tuple[str, tuple[Statement, ...]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    return str(path), parse_statements(data, str(path))


def cmd_import(args: argparse.Namespace) -> int:
    files = [_read(path) for path in args.files]  # a bad file stops everything before anything is written
    app = get_app(args, read_only=args.dry_run)
    reports: list[ImportReport] = []
    try:
        if args.dry_run:
            with app.sessions() as session:
                reports = preview_statements(session, files, currency=app.config.payments.currency)
            for report in reports:
                _print_report(report)
        for source, statements in files if not args.dry_run else ():
            with transaction(app.sessions) as session:
                now = datetime.now(UTC)
                report = import_statements(session, app, statements, source, now=now, actor=actor(args))
            _print_report(report)  # once committed
            reports.append(report)
    finally:
        app.close()
    if len(reports) > 1:
        every = tuple(result for report in reports for result in report.results)
        print_line(f"total: {ImportReport('', every, not args.dry_run).summary()}")
    if args.dry_run:
        print_line("dry run: nothing written")
    return 0


def _print_report(report: ImportReport) -> None:
    rows = [
        (
            r.line.booking_date.isoformat(),
            format_cents(r.line.amount_cents),
            r.status.replace("_", " "),
            r.order_number or "-",
            _done(r) if report.applied else _would(r),
        )
        for r in report.results
    ]
    print_table(("DATE", "AMOUNT", "OUTCOME", "ORDER", "DONE"), rows)
    print_line(f"{report.source}: {report.summary()}")


def _done(r: LineResult) -> str:
    """What was done with the line."""
    if r.status == ALREADY_IMPORTED:
        return "nothing done"
    if r.status == Outcome.DEBIT:
        return "money out: nothing to do"
    ticket = f"ticket {r.ticket_id} for staff" if r.ticket_id is not None else ""
    if r.payment_id is None:
        return ticket + (f" ({r.note})" if r.note else "")
    if r.completed:
        order = "order completed, confirmation enqueued"
    else:
        order = "order still open" if r.status == Outcome.PARTIAL else "the order is not open"
    return f"payment {r.payment_id} recorded: {order}" + (f"; {ticket}" if ticket else "")


def _would(r: LineResult) -> str:
    """What importing would do with the line (a dry run)."""
    if r.status in (ALREADY_IMPORTED, Outcome.DEBIT):
        return _done(r)
    if r.status in (Outcome.PAID, Outcome.PARTIAL, Outcome.EXCESS):
        order = "the order would be completed" if r.completed else "the order would stay open"
        return f"would record the payment: {order}" + ("; a ticket for staff" if r.for_staff else "")
    return "would open a ticket for staff" + (f" ({r.note})" if r.note else "")


def cmd_lines(args: argparse.Namespace) -> int:
    app = get_app(args, read_only=True)
    query = (
        select(StatementLine, Order.number, Ticket.status)
        .outerjoin(Order, StatementLine.order_id == Order.id)
        .outerjoin(Ticket, StatementLine.ticket_id == Ticket.id)
        .order_by(StatementLine.id.desc())
        .limit(args.limit)
    )
    if args.outcome == "staff":
        query = query.where(StatementLine.outcome.in_(FOR_STAFF))
    elif args.outcome != "all":
        query = query.where(StatementLine.outcome == args.outcome)
    try:
        with app.sessions() as session:
            records = [_line_row(line, number, status) for line, number, status in session.execute(query)]
    finally:
        app.close()
    print_listing(
        records,
        ("ID", "BOOKED", "AMOUNT", "OUTCOME", "ORDER", "TICKET", "PAYER", "REMITTANCE"),
        (
            (
                r["id"],
                r["booked_on"],
                format_cents(r["amount_cents"]),
                r["outcome"],
                r["order"] or "-",
                f"{r['ticket_id']} {r['ticket_status']}" if r["ticket_id"] is not None else "-",
                r["payer"][:30],
                r["remittance"][:60],
            )
            for r in records
        ),
        "statement line",
        as_json=args.json,
    )
    return 0


def _line_row(line: StatementLine, number: str | None, ticket_status: Any) -> dict[str, Any]:
    details = line.details or {}
    return {
        "id": line.id,
        "key": line.key,
        "source": line.source,
        "booked_on": line.booked_on.isoformat(),
        "amount_cents": line.amount_cents,
        "outcome": line.outcome,
        "order": number,
        "payment_id": line.payment_id,
        "ticket_id": line.ticket_id,
        "ticket_status": ticket_status.value if ticket_status is not None else None,
        "payer": str(details.get("payer", "")),
        "payer_iban": str(details.get("payer_iban", "")),
        "remittance": str(details.get("remittance", "")),
        "reference": str(details.get("reference", "")),
        "where": str(details.get("where", "")),
        "note": str(details.get("note", "")),
        "imported_at": line.imported_at.isoformat(timespec="seconds"),
    }
