"""``mailbot status CUSTOMER``: one customer's account as the ``account_status`` email shows it.

The customer (name, kind, email, language, billing data), each service (label, username, product, expiry
flagged ``soon`` within 90 days or ``expired``, automatic renewal and its method, storage used over
quota flagged at ``storage.warn_percent``, status) and each order newest first (number, day, type,
amount due, status, invoice number or ``-``). The values are worked out by the same pure function as
the email (``outbound.account_status``), for ``--date`` (default: today in ``general.timezone``).
``--json`` prints them as JSON. Every value from the data goes through the output helpers.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from mailbot.act.load import account_facts
from mailbot.act.replies import company_info
from mailbot.cli.common import get_app, parse_day, today_in
from mailbot.cli.lookup import customer_by_ref
from mailbot.cli.output import count, print_json, print_line, print_table
from mailbot.outbound.account_status import AccountFacts, account_status
from mailbot.outbound.context import AccountStatusContext, ServiceStatusInfo
from mailbot.outbound.order_mail import customer_language


def register(sub: Any) -> None:
    p = sub.add_parser("status", help="one customer's services, expiries, storage and orders (writes nothing)")
    p.add_argument("customer", metavar="CUSTOMER", help="the customer's external id (C001) or database id")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="the day to show it for (default: today)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    day = parse_day(args.date) if args.date else None
    app = get_app(args, read_only=True)
    config = app.config
    try:
        with app.sessions() as session:
            customer = customer_by_ref(session, args.customer)
            facts = account_facts(session, customer)
            customer_id = customer.id
    finally:
        app.close()
    today = day or today_in(config, datetime.now(UTC))
    ctx = account_status(
        facts,
        today=today,
        tz=config.tz,
        lang=customer_language(facts.customer.language, config),
        company=company_info(config),
        storage=config.storage,
        subject="",
    )
    if args.json:
        print_json(status_json(customer_id, facts, ctx))
    else:
        print_status(facts, ctx)
    return 0


def status_json(customer_id: int, facts: AccountFacts, ctx: AccountStatusContext) -> dict[str, Any]:
    c, b = facts.customer, ctx.billing
    return {
        "customer": {
            "id": customer_id,
            "external_id": c.external_id,
            "name": c.name,
            "kind": c.kind.value,
            "email": c.email,
            "language": c.language,
            "vat_number": b.vat_number,
            "fiscal_code": b.fiscal_code,
            "pec": b.pec,
            "recipient_code": b.recipient_code,
            "address": b.address,
            "split_payment": b.split_payment,
        },
        "date": ctx.today.isoformat(),
        "services": [
            {
                "external_id": f.external_id,
                "label": s.label,
                "username": s.username,
                "product": s.product_name,
                "expires_on": s.expires_on.isoformat(),
                "days_to_expiry": s.days_to_expiry,
                "expiry_flag": s.expiry_flag,
                "autorenew": s.autorenew,
                "payment_method": s.payment_method,
                "storage_used_mb": s.storage_used_mb,
                "storage_quota_mb": s.storage_quota_mb,
                "storage_percent": s.storage_percent,
                "storage_level": s.storage_level,
                "status": s.status,
            }
            for f, s in zip(facts.services, ctx.services, strict=True)
        ],
        "orders": [
            {
                "number": o.number,
                "type": o.type,
                "date": o.created_on.isoformat(),
                "due": str(o.due),
                "status": o.status,
                "invoice": o.invoice_number,
            }
            for o in ctx.orders
        ],
    }


def print_status(facts: AccountFacts, ctx: AccountStatusContext) -> None:
    c = facts.customer
    print_line(f"customer {c.external_id}: {c.name} ({c.kind.value}), {c.email}, language {c.language}")
    print_line(f"billing: {billing_line(ctx)}")
    print_line(f"status on {ctx.today.isoformat()}")
    print_line()
    print_table(
        ("SERVICE", "LABEL", "USERNAME", "PRODUCT", "EXPIRES", "AUTORENEW", "STORAGE", "STATUS"),
        (
            (
                f.external_id,
                s.label,
                s.username,
                s.product_name,
                expiry_cell(s),
                f"yes ({s.payment_method})" if s.autorenew else "no",
                storage_cell(s),
                s.status,
            )
            for f, s in zip(facts.services, ctx.services, strict=True)
        ),
    )
    print_line(count(len(ctx.services), "service"))
    print_line()
    print_table(
        ("ORDER", "DATE", "TYPE", "DUE", "STATUS", "INVOICE"),
        ((o.number, o.created_on.isoformat(), o.type, o.due, o.status, o.invoice_number or "-") for o in ctx.orders),
    )
    print_line(count(len(ctx.orders), "order"))


def billing_line(ctx: AccountStatusContext) -> str:
    b = ctx.billing
    parts = [
        f"{label} {value}"
        for label, value in (
            ("VAT", b.vat_number),
            ("fiscal code", b.fiscal_code),
            ("PEC", b.pec),
            ("recipient code", b.recipient_code),
            ("address", b.address),
        )
        if value
    ]
    if b.split_payment:
        parts.append("split payment")
    return ", ".join(parts) or "none on file"


def expiry_cell(s: ServiceStatusInfo) -> str:
    """``2026-11-01 (in 30 days: soon)``, ``2026-09-27 (5 days ago: expired)``, ``2027-04-20 (in 200 days)``."""
    n = s.days_to_expiry
    when = "today" if n == 0 else f"in {count(n, 'day')}" if n > 0 else f"{count(-n, 'day')} ago"
    return f"{s.expires_on.isoformat()} ({when}{': ' + s.expiry_flag if s.expiry_flag else ''})"


def storage_cell(s: ServiceStatusInfo) -> str:
    """``850/1024 MB (83%: warning)``; ``-`` when the plan has no storage."""
    if s.storage_quota_mb <= 0:
        return "-"
    level = f": {s.storage_level}" if s.storage_level else ""
    return f"{s.storage_used_mb}/{s.storage_quota_mb} MB ({s.storage_percent}%{level})"
