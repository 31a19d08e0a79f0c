"""``mailbot outbox``: what staff need to see and fix about outgoing mail.

- ``outbox list [--status S]``: the newest rows, with status, attempts and the last error;
- ``outbox retry ID``: put a failed or cancelled email back in the queue (attempts reset);
- ``outbox undeliverable``: customers whose address bounced permanently (no mail goes to them);
- ``outbox deliverable CUSTOMER``: clear that mark once the address is fixed (external or database id).
Every change is audited (``--actor``; ``--as`` still works). Times are shown in ``general.timezone``.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from mailbot import audit
from mailbot.cli.common import actor, add_actor, get_app, local_time
from mailbot.cli.lookup import customer_by_ref
from mailbot.cli.output import count, print_line, print_listing, print_table
from mailbot.db.engine import transaction
from mailbot.db.models import Customer, OutboundMessage
from mailbot.domain import AuditEntry, OutboundStatus
from mailbot.errors import InputError, NotFoundError

STATUSES = [s.value for s in OutboundStatus]


def register(sub: Any) -> None:
    p = sub.add_parser("outbox", help="outgoing mail: list, retry, undeliverable addresses")
    osub = p.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    lst = osub.add_parser("list", help="the newest emails in the outbox")
    lst.add_argument("--status", choices=STATUSES, help="only emails in this status")
    lst.add_argument("--limit", type=int, default=50, metavar="N", help="at most N emails (default: 50)")
    lst.add_argument("--json", action="store_true", help="print JSON instead of a table")
    lst.set_defaults(func=cmd_list)
    retry = osub.add_parser("retry", help="queue a failed or cancelled email again")
    retry.add_argument("id", type=int, help="the email's id (the first column of 'outbox list')")
    add_actor(retry, "--as")
    retry.set_defaults(func=cmd_retry)
    und = osub.add_parser("undeliverable", help="customers whose address bounced permanently")
    und.set_defaults(func=cmd_undeliverable)
    fix = osub.add_parser("deliverable", help="clear a customer's undeliverable mark once the address is fixed")
    fix.add_argument("external_id", metavar="CUSTOMER", help="the customer's external id, or database id")
    add_actor(fix, "--as")
    fix.set_defaults(func=cmd_deliverable)


def cmd_list(args: argparse.Namespace) -> int:
    app = get_app(args, read_only=True)
    query = select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(args.limit)
    if args.status:
        query = query.where(OutboundMessage.status == OutboundStatus(args.status))
    with app.sessions() as session:
        messages = list(session.scalars(query))
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
            for m in messages
        ]
    app.close()
    print_listing(
        rows,
        ("ID", "CREATED", "STATUS", "TRIES", "TEMPLATE", "TO", "LAST ERROR"),
        (
            (
                m.id,
                local_time(app.config, m.created_at),
                m.status.value,
                m.attempts,
                m.template,
                m.to_address,
                m.last_error or "",
            )
            for m in messages
        ),
        "email",
        as_json=args.json,
    )
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
            AuditEntry("outbound.retry", "outbound_message", row.id, {"was": previous}),
            actor=actor(args),
            now=now,
            message_ref=row.message_id,
        )
    app.close()
    print_line(f"email {args.id} queued again")
    return 0


def cmd_undeliverable(args: argparse.Namespace) -> int:
    app = get_app(args, read_only=True)
    with app.sessions() as session:
        customers = session.scalars(
            select(Customer).where(Customer.email_undeliverable.is_(True)).order_by(Customer.external_id)
        ).all()
    app.close()
    print_table(
        ("CUSTOMER", "EMAIL", "NAME", "REASON"),
        [(c.external_id, c.email, c.name, c.undeliverable_reason or "no reason recorded") for c in customers],
    )
    print_line(count(len(customers), "undeliverable address", "undeliverable addresses"))
    return 0


def cmd_deliverable(args: argparse.Namespace) -> int:
    app = get_app(args)
    now = datetime.now(UTC)
    with transaction(app.sessions) as session:
        customer = customer_by_ref(session, args.external_id)
        if not customer.email_undeliverable:
            raise InputError(f"outbox: {customer.email} is not marked undeliverable")
        reason = customer.undeliverable_reason
        customer.email_undeliverable, customer.undeliverable_reason = False, None
        audit.record(
            session,
            AuditEntry("customer.email_deliverable", "customer", customer.id, {"email": customer.email, "was": reason}),
            actor=actor(args),
            now=now,
        )
        email = customer.email
    app.close()
    print_line(f"{email}: mail will be sent again")
    return 0
