"""``mailbot render NAME``: preview one email in the terminal, from real data or from samples.

- reminder emails: ``--service ID`` (external id such as ``S001``, or database id) shows the email that
  service would get (``--date`` for another day); when nothing of that kind is due that day, the
  service is shown as if it were.
- payment emails: ``--order NUMBER`` (or database id), or ``--service ID`` for the newest order covering it.
- any email: ``--sample [VARIANT]`` with built-in sample data (``--list-samples`` lists them).

Nothing is written: no outbox row, no claim.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.cli.common import get_app, parse_day
from mailbot.cli.lookup import order_by_ref, service_by_ref
from mailbot.cli.output import print_line, print_lines
from mailbot.config import Config
from mailbot.db.models import Order, Product, Service, order_service
from mailbot.errors import InputError, NotFoundError
from mailbot.outbound.context import (
    ALL_TEMPLATES,
    NOTICE_TEMPLATES,
    PAYMENT_TEMPLATES,
    REPLY_TEMPLATES,
    CompanyInfo,
    ReminderItem,
    ServiceInfo,
    StorageInfo,
)
from mailbot.outbound.order_mail import plan_order_email
from mailbot.outbound.outbox import Claim
from mailbot.outbound.plan import PlannedEmail
from mailbot.outbound.reminders import TEMPLATE_BY_KIND, DueItem, ServiceState, due_items, plan_digests
from mailbot.outbound.render import LOCALES, RenderedEmail
from mailbot.outbound.samples import sample_context, sample_variants
from mailbot.outbound.storage import extra_units_needed, storage_level, usage_percent
from mailbot.outbound.sweep import recipient_of, service_info
from mailbot.text import visible_lines

KIND_BY_TEMPLATE = {template: kind for kind, template in TEMPLATE_BY_KIND.items()}
STEP_BY_TEMPLATE = {
    "payment_instructions": "instructions",
    "payment_reminder": "reminder_1",
    "order_cancelled": "cancelled",
}


def register(sub: Any) -> None:
    p = sub.add_parser("render", help="preview one email in the terminal (writes nothing)")
    p.add_argument("name", choices=ALL_TEMPLATES, metavar="NAME", help=", ".join(ALL_TEMPLATES))
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--service", metavar="ID", help="a service: its external id (S001) or database id")
    source.add_argument("--order", metavar="NUMBER", help="an order: its number or database id (payment emails)")
    source.add_argument("--sample", nargs="?", const="default", metavar="VARIANT", help="built-in sample data")
    source.add_argument("--list-samples", action="store_true", help="list the sample variants of NAME")
    p.add_argument("--lang", choices=sorted(LOCALES), help="language (default: the customer's)")
    p.add_argument("--date", help="the day to render for, YYYY-MM-DD (default: today)")
    p.add_argument("--html", action="store_true", help="print the HTML part instead of the text part")
    p.set_defaults(func=cmd_render)


def cmd_render(args: argparse.Namespace) -> int:
    if args.list_samples:
        for variant, values in sample_variants(args.name).items():
            print_line(f"{variant}: {values}" if values else variant)
        return 0
    app = get_app(args, read_only=True)
    try:
        if args.sample is not None:
            variants = sample_variants(args.name)
            if args.sample not in variants:
                raise InputError(f"--sample: unknown variant {args.sample!r} (known: {', '.join(variants)})")
            lang = args.lang or app.config.general.language
            context = sample_context(args.name, lang, **variants[args.sample])
            rendered, to = app.renderer.render(args.name, lang, context), "(sample)"
        else:
            now = _now(app.config, parse_day(args.date) if args.date else None)
            with app.sessions() as session:
                planned = plan_for(session, app, args.name, args.service, args.order, now)
                lang = args.lang or planned.language
                rendered, to = app.renderer.render(planned.template, lang, planned.context), planned.to_address
        print_lines(format_email(rendered, to, html=args.html))
    finally:
        app.close()
    return 0


def _now(config: Config, day: date | None) -> datetime:
    if day is None:
        return datetime.now(UTC)
    return datetime.combine(day, time(12, 0), config.tz).astimezone(UTC)


def plan_for(
    session: Session, app: App, name: str, service_ref: str | None, number: str | None, now: datetime
) -> PlannedEmail:
    if name in REPLY_TEMPLATES or name in NOTICE_TEMPLATES:
        raise InputError(f"{name} is sent in answer to a customer's message: preview it with --sample")
    service_id = service_by_ref(session, service_ref).id if service_ref is not None else None
    if name in PAYMENT_TEMPLATES:
        order = _order(session, service_id, service_ref, number)
        return plan_order_email(order, STEP_BY_TEMPLATE[name], app.config, app.links, now)
    if service_id is None:
        raise InputError(f"{name} is a reminder email: use --service ID (or --sample)")
    return reminder_for(session, app, name, service_id, now)


def _order(session: Session, service_id: int | None, service_ref: str | None, number: str | None) -> Order:
    if number is not None:
        return order_by_ref(session, number)
    found = session.scalar(
        select(Order)
        .join(order_service, order_service.c.order_id == Order.id)
        .where(order_service.c.service_id == service_id)
        .order_by(Order.id.desc())
        .limit(1)
    )
    if found is None:
        raise NotFoundError(f"--service: no order covers service {service_ref}; use --order NUMBER")
    return found


def reminder_for(session: Session, app: App, name: str, service_id: int, now: datetime) -> PlannedEmail:
    """The service's email of kind ``name`` today: the real due item if there is one, else a preview item."""
    config = app.config
    row = session.execute(
        select(Service, Product.name).join(Product, Product.id == Service.product_id).where(Service.id == service_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no service with id {service_id}")
    service, product_name = row
    today = now.astimezone(config.tz).date()
    info = service_info(service, product_name)
    state = ServiceState(info=info, status="active", started_on=service.started_on, claimed=frozenset())
    kind = KIND_BY_TEMPLATE[name]
    due = [d for d in due_items(state, today, config.reminders, config.storage) if d.item.kind == kind]
    if not due:
        item = ReminderItem(
            kind=kind,
            step="preview",
            service=info,
            days_to_expiry=(info.expires_on - today).days,
            grace_ends_on=info.expires_on + timedelta(days=config.reminders.grace_days),
            storage=_storage_preview(info, service.started_on, today, config) if kind == "storage" else None,
        )
        due = [DueItem(item, Claim(info.id, info.expires_on, "preview"), today, "preview")]
    company = CompanyInfo(config.mail.company_name, config.mail.support_address, config.mail.support_phone)
    recipient = recipient_of(service.customer, config.general.language)
    return plan_digests(recipient, due, today=today, now=now, company=company, links=app.links)[0]


def _storage_preview(info: ServiceInfo, started_on: date | None, today: date, config: Config) -> StorageInfo:
    percent = usage_percent(info.storage_used_mb, info.storage_quota_mb) if info.storage_quota_mb else 0
    level = storage_level(percent, config.storage.warn_percent, config.storage.critical_percent) or "warning"
    extra = extra_units_needed(info.storage_used_mb, info.storage_quota_mb, started_on, today, info.expires_on)
    return StorageInfo(percent=percent, level=level, extra_gb_needed=extra)


def format_email(rendered: RenderedEmail, to: str, *, html: bool) -> list[str]:
    rule = "-" * 72
    body = rendered.html if html else rendered.text
    return [f"To: {to}", f"Subject: {rendered.subject}", rule, *visible_lines(body.rstrip()), rule]
