"""``mailbot invoices``: the invoices issued and scheduled, and issuing the due ones now.

``mailbot run`` issues them on its hourly payment check; ``invoices issue`` does the same at once (and
schedules the public administrations' invoices whose codes are complete). An invoice that cannot be
built stays scheduled and its ticket says why.
"""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from mailbot.billing.invoices import run_invoicing
from mailbot.cli.common import get_app
from mailbot.cli.orders import parse_now
from mailbot.cli.output import count, print_line, print_table
from mailbot.db.models import Invoice
from mailbot.domain import InvoiceStatus
from mailbot.outbound.render import cents


def register(sub: Any) -> None:
    invoices = sub.add_parser("invoices", help="invoices: list, issue the due ones now")
    isub = invoices.add_subparsers(dest="invoices_command", required=True, metavar="ACTION")
    ls = isub.add_parser("list", help="invoices, newest first")
    ls.add_argument("--status", choices=[s.value for s in InvoiceStatus], help="only issued or only scheduled ones")
    ls.set_defaults(func=cmd_list)
    issue = isub.add_parser("issue", help="issue every invoice due by now (also a PA's before payment)")
    issue.add_argument("--now", help="pretend it is this instant (ISO 8601 with offset), for testing")
    issue.set_defaults(func=cmd_issue)


def cmd_list(args: argparse.Namespace) -> int:
    app = get_app(args, read_only=True)
    query = select(Invoice).options(joinedload(Invoice.order), joinedload(Invoice.customer)).order_by(Invoice.id.desc())
    if args.status:
        query = query.where(Invoice.status == InvoiceStatus(args.status))
    try:
        with app.sessions() as session:
            rows = [
                (
                    invoice.number or "-",
                    (invoice.issued_on or invoice.issue_on).isoformat(),
                    invoice.status.value,
                    invoice.order.number,
                    invoice.customer.external_id,
                    cents(invoice.total_cents),
                    invoice.sdi_file or "-",
                )
                for invoice in session.scalars(query)
            ]
    finally:
        app.close()
    print_table(("NUMBER", "DATE", "STATUS", "ORDER", "CUSTOMER", "TOTAL", "SDI FILE"), rows)
    print_line(count(len(rows), "invoice"))
    return 0


def cmd_issue(args: argparse.Namespace) -> int:
    app = get_app(args)
    try:
        run = run_invoicing(app, parse_now(args.now))
    finally:
        app.close()
    for number in run.issued:
        print_line(f"invoice {number} issued")
    print_line(
        f"invoicing: {run.scheduled} scheduled before payment, {len(run.issued)} issued, "
        f"{run.blocked} waiting for staff (see mailbot tickets list), {run.reminded} overdue reminders"
    )
    return 0
