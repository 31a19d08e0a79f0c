"""``mailbot payments``: register money received for an order, by hand or from bank statements.

``record`` is staff telling mailbot of a payment (a transfer seen in the bank, a postal slip): the same
path as a statement line or the payment provider, so the order completes, its services' expiry moves
and the customer gets the confirmation, or staff get a ticket when the amount is not what was due.
``import`` reads camt.053 and MT940 statement files (``billing.statement_import``) and ``lines`` lists
the imported lines staff must look at (``mailbot.cli.statements`` holds both).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailbot.billing.charges import apply_charges, read_charges
from mailbot.billing.payments import PaymentIn, record_payment
from mailbot.billing.settle import Settlement
from mailbot.cli.common import actor, add_actor, get_app, parse_day, today_in
from mailbot.cli.lookup import order_by_ref
from mailbot.cli.orders import ORDER_REF_HELP
from mailbot.cli.output import print_line
from mailbot.cli.statements import register_statements
from mailbot.db.engine import transaction
from mailbot.domain import PaymentMethod, PaymentSource
from mailbot.errors import InputError
from mailbot.importing.fields import parse_cents
from mailbot.orders import PAYABLE_METHODS
from mailbot.outbound.render import cents
from mailbot.text import visible

_SAID = {
    Settlement.PAID: "paid in full: order completed, confirmation enqueued",
    Settlement.EXCESS: "more than due: order completed, confirmation enqueued; ticket {ticket} for the difference",
    Settlement.PARTIAL: "less than due: order still open; ticket {ticket} for staff",
    Settlement.ORDER_CLOSED: "the order is not open: payment kept, ticket {ticket} for staff",
    Settlement.ALREADY_RECORDED: "this payment is already recorded: nothing done",
}


def register(sub: Any) -> None:
    payments = sub.add_parser("payments", help="payments: record money received, import bank statements")
    psub = payments.add_subparsers(dest="payments_command", required=True, metavar="ACTION")
    rec = psub.add_parser("record", help="record a payment for an order (completes it when paid in full)")
    rec.add_argument("order", metavar="ORDER", help=ORDER_REF_HELP)
    rec.add_argument("--amount", required=True, help="euros received, e.g. 122.00 or 122,00")
    rec.add_argument(
        "--method", required=True, choices=sorted(m.value for m in PAYABLE_METHODS), help="how it was paid"
    )
    rec.add_argument("--reference", help="the bank's CRO/TRN or the provider's transaction id")
    rec.add_argument("--date", help="the day it was paid, YYYY-MM-DD (default: today)")
    add_actor(rec)
    rec.set_defaults(func=cmd_record)
    register_statements(psub)
    charges = psub.add_parser("charges", help="apply the payment provider's automatic-renewal charges (CSV)")
    charges.add_argument("file", metavar="FILE", type=Path, help="CSV: service, date, amount, result, reference")
    charges.add_argument("--dry-run", action="store_true", help="check the file and the services, write nothing")
    add_actor(charges)
    charges.set_defaults(func=cmd_charges)


def cmd_charges(args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise InputError(f"{args.file}: cannot read: {exc.strerror}") from None
    rows = read_charges(data, str(args.file))  # a bad row stops everything before anything is written
    app = get_app(args)
    try:
        with transaction(app.sessions) as session:
            report = apply_charges(session, app, rows, str(args.file), now=datetime.now(UTC), actor=actor(args))
            if args.dry_run:
                session.rollback()
    finally:
        app.close()
    for number in report.renewed:
        print_line(f"{number}: charged, order completed")
    for number in report.failed:
        print_line(f"{number}: charge failed, customer asked to pay")
    for number in report.for_staff:
        print_line(f"{number}: charged an amount other than due: ticket for staff")
    for service in report.refused:
        print_line(visible(f"service {service}: can no longer be renewed: ticket for staff"))
    print_line(("dry run, nothing written: " if args.dry_run else "") + visible(report.summary()))
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    try:
        amount = parse_cents(args.amount)
    except ValueError as exc:
        raise InputError(f"--amount: {exc}") from None
    reference = (args.reference or "").strip() or None
    app = get_app(args)
    now = datetime.now(UTC)
    paid_on = parse_day(args.date) if args.date else today_in(app.config, now)
    try:
        with transaction(app.sessions) as session:
            order = order_by_ref(session, args.order)
            payment = PaymentIn(amount, PaymentMethod(args.method), paid_on, PaymentSource.STAFF, reference)
            recorded = record_payment(session, app, order, payment, now=now, actor=actor(args))
            names = {s.id: s.external_id for s in order.services}
            for sid, (old, new) in recorded.moved.items():
                print_line(f"service {names.get(sid, sid)}: expiry {old.isoformat()} -> {new.isoformat()}")
            said = _SAID[recorded.settlement].format(ticket=recorded.ticket_id)
            print_line(f"{order.number}: {cents(amount)} {said}")
    finally:
        app.close()
    return 0
