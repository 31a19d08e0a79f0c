"""``mailbot outbox``: what staff need to see and fix about outgoing mail.

- ``outbox list [--status S]``: the newest rows, with status, attempts and the last error;
- ``outbox retry ID``: put a failed or cancelled email back in the queue (attempts reset);
- ``outbox undeliverable``: customers whose address bounced permanently (no mail goes to them);
- ``outbox deliverable EXTERNAL_ID``: clear that mark once the address is fixed.
Every change is audited.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from mailbot import audit
from mailbot.cli.common import get_app
from mailbot.cli.output import print_json, print_line
from mailbot.db.engine import transaction
from mailbot.db.models import Customer, OutboundMessage
from mailbot.domain import OutboundStatus
from mailbot.errors import InputError, NotFoundError

STATUSES = [s.value for s in OutboundStatus]


def register(sub: Any) -> None:
    p = sub.add_parser("outbox", help="outgoing mail: list, retry, undeliverable addresses")
    osub = p.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    lst = osub.add_parser("list", help="the newest emails in the outbox")
    lst.add_argument("--status", choices=STATUSES)
    lst.add_argument("--limit", type=int, default=50)
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)
    retry = osub.add_parser("retry", help="queue a failed or cancelled email again")
    retry.add_argument("id", type=int)
    retry.add_argument("--as", dest="actor", default="staff")
    retry.set_defaults(func=cmd_retry)
    und = osub.add_parser("undeliverable", help="customers whose address bounced permanently")
    und.set_defaults(func=cmd_undeliverable)
    fix = osub.add_parser("deliverable", help="clear a customer's undeliverable mark once the address is fixed")
    fix.add_argument("external_id")
    fix.add_argument("--as", dest="actor", default="staff")
    fix.set_defaults(func=cmd_deliverable)


def cmd_list(args: argparse.Namespace) -> int:
    app = get_app(args)
    query = select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(args.limit)
    if args.status:
        query = query.where(OutboundMessage.status == OutboundStatus(args.status))
    with app.sessions() as session:
        rows = [
            {
                "id": m.id,
                "status": m.status.value,
                "to": m.to_address,
                "template": m.template,
                "attempts": m.attempts,
                "created": m.created_at.isoformat(timespec="seconds"),
                "sent": m.sent_at.isoformat(timespec="seconds") if m.sent_at else None,
                "error": m.last_error,
                "message_id": m.message_id,
            }
            for m in session.scalars(query)
        ]
    app.close()
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        error = f"  {r['error']}" if r["error"] else ""
        print_line(f"{r['id']:>7}  {r['status']:<9} {r['attempts']:>2}x  {r['template']:<22} {r['to']}{error}")
    print_line(f"{len(rows)} emails")
    return 0


def cmd_retry(args: argparse.Namespace) -> int:
    app = get_app(args)
    now = datetime.now(UTC)
    with transaction(app.sessions) as session:
        row = session.get(OutboundMessage, args.id)
        if row is None:
            raise NotFoundError(f"outbox: no email with id {args.id}")
        if row.status not in (OutboundStatus.FAILED, OutboundStatus.CANCELLED):
            raise InputError(
                f"outbox: email {args.id} is {row.status.value}; only failed or cancelled ones are retried"
            )
        customer = session.get(Customer, row.customer_id) if row.customer_id else None
        if customer is not None and customer.email_undeliverable:
            raise InputError(
                f"outbox: customer {customer.external_id}'s address is marked undeliverable; "
                f"fix it first (mailbot outbox deliverable {customer.external_id})"
            )
        previous = row.status.value
        row.status, row.attempts, row.next_attempt_at, row.last_error = OutboundStatus.PENDING, 0, now, None
        audit.record(
            session,
            actor=args.actor,
            action="outbound.retry",
            entity="outbound_message",
            entity_id=row.id,
            now=now,
            details={"was": previous},
            message_ref=row.message_id,
        )
    app.close()
    print_line(f"email {args.id} queued again")
    return 0


def cmd_undeliverable(args: argparse.Namespace) -> int:
    app = get_app(args)
    with app.sessions() as session:
        customers = session.scalars(
            select(Customer).where(Customer.email_undeliverable.is_(True)).order_by(Customer.external_id)
        ).all()
        for c in customers:
            print_line(f"{c.external_id}  {c.email}  {c.name}  ({c.undeliverable_reason or 'no reason recorded'})")
    app.close()
    print_line(f"{len(customers)} undeliverable addresses")
    return 0


def cmd_deliverable(args: argparse.Namespace) -> int:
    app = get_app(args)
    now = datetime.now(UTC)
    with transaction(app.sessions) as session:
        customer = session.scalar(select(Customer).where(Customer.external_id == args.external_id))
        if customer is None:
            raise NotFoundError(f"outbox: no customer with external id {args.external_id!r}")
        if not customer.email_undeliverable:
            raise InputError(f"outbox: {customer.email} is not marked undeliverable")
        reason = customer.undeliverable_reason
        customer.email_undeliverable, customer.undeliverable_reason = False, None
        audit.record(
            session,
            actor=args.actor,
            action="customer.email_deliverable",
            entity="customer",
            entity_id=customer.id,
            now=now,
            details={"email": customer.email, "was": reason},
        )
        email = customer.email
    app.close()
    print_line(f"{email}: mail will be sent again")
    return 0
