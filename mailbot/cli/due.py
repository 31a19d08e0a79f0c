"""``mailbot due``: preview what the sweeps would send on a day, to whom and why. Writes nothing.

It calls the very planning functions the sweeps use (reminders, and unpaid-order payments when that
module is installed), inside a transaction that is rolled back, so the preview is what gets sent.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.cli.common import get_app, parse_day
from mailbot.cli.output import count, print_json, print_lines
from mailbot.config import Config
from mailbot.db.models import Customer
from mailbot.outbound.links import LinkSigner
from mailbot.outbound.plan import PlannedEmail
from mailbot.outbound.sweep import local_today, plan_reminders
from mailbot.text import visible

Planner = Callable[[Session, Config, LinkSigner, datetime], list[PlannedEmail]]
COLUMNS = ("CUSTOMER", "ADDRESS", "TEMPLATE", "LANG")


def register(sub: Any) -> None:
    parser = sub.add_parser("due", help="preview the reminders and payment emails due on a day (writes nothing)")
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="the day to preview (default: today in general.timezone)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=cmd_due)


def cmd_due(args: argparse.Namespace) -> int:
    app = get_app(args, read_only=True)
    try:
        now = preview_instant(app.config, parse_day(args.date) if args.date else None, datetime.now(UTC))
        planned = preview(app, now)
        with app.sessions() as session:
            ids = {p.customer_id for p in planned}
            external = dict(
                session.execute(select(Customer.id, Customer.external_id).where(Customer.id.in_(ids))).all()
            )
    finally:
        app.close()
    day = local_today(now, app.config.tz)
    if args.json:
        print_json(as_json(day, planned))
    else:
        print_lines(format_table(day, planned, external))
    return 0


def preview_instant(config: Config, day: date | None, now: datetime) -> datetime:
    """The instant the preview plans for: ``now``, or the sweep time of ``day`` in the configured zone."""
    if day is None:
        return now
    return datetime.combine(day, config.schedule.sweep_time, tzinfo=config.tz)


def planners() -> list[Planner]:
    """The reminder planner, and the unpaid-order planner when ``mailbot.outbound.payments`` exists."""
    found: list[Planner] = [plan_reminders]
    try:
        payments = importlib.import_module("mailbot.outbound.payments")
    except ModuleNotFoundError as exc:
        if exc.name != "mailbot.outbound.payments":
            raise  # the module is there but something it needs is not: a bug to see, not to hide
        return found
    found.append(payments.plan_payments)
    found.append(importlib.import_module("mailbot.billing.invoices").plan_invoice_reminders)
    return found


def preview(app: App, now: datetime) -> list[PlannedEmail]:
    """Everything every sweep would plan at ``now``; the session is rolled back, never committed."""
    planned: list[PlannedEmail] = []
    with app.sessions() as session:
        try:
            for plan in planners():
                planned += plan(session, app.config, app.links, now)
        finally:
            session.rollback()
    return planned


def as_json(day: date, planned: Sequence[PlannedEmail]) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "emails": [
            {
                "customer_id": p.customer_id,
                "customer": p.context.customer.name,
                "to": p.to_address,
                "template": p.template,
                "language": p.language,
                "order_id": p.order_id,
                "reason": p.reason,
                "steps": [f"{c.service_id}:{c.cycle.isoformat()}:{c.step}" for c in p.claims],
                "suppressed": p.suppressed,
                "idempotency_key": p.idempotency_key,
            }
            for p in planned
        ],
    }


def format_table(day: date, planned: Sequence[PlannedEmail], external: dict[int, str] | None = None) -> list[str]:
    """A table for people: one row per email, its reasons below it; suppressed ones are marked. Cells are
    made visible before the columns are measured, so an escaped name keeps the table aligned. A customer
    is named by its external id (``external``: database id -> external id) when known."""
    external = external or {}
    sending = sum(1 for p in planned if not p.suppressed)
    lines = [f"Due on {day.isoformat()}: {count(sending, 'email')} to send, {len(planned) - sending} suppressed"]
    if not planned:
        return lines
    rows = [
        (
            visible(f"{external.get(p.customer_id, p.customer_id)} {p.context.customer.name}"),
            visible(p.to_address),
            p.template,
            p.language,
        )
        for p in planned
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(COLUMNS)]
    lines.append("  ".join(h.ljust(w) for h, w in zip(COLUMNS, widths, strict=True)).rstrip())
    for p, row in zip(planned, rows, strict=True):
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
        if p.suppressed:
            lines.append(f"    SUPPRESSED: {p.suppressed}")
        lines += [f"    - {reason}" for reason in p.reason.split("; ") if reason]
    return lines
