"""``mailbot services list``: the customers' services, as imported from the CSV files, with their expiry.

Filters: ``--customer`` (external or database id), ``--status``, ``--expiring-before YYYY-MM-DD``.
"""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from mailbot.cli.common import add_list_command, get_app, parse_day
from mailbot.cli.lookup import customer_by_ref
from mailbot.cli.output import print_listing
from mailbot.db.models import Service
from mailbot.domain import ServiceStatus


def register(sub: Any) -> None:
    ls = add_list_command(sub, "services", "the customers' services: list", "list services, soonest expiry first")
    ls.add_argument("--customer", metavar="ID", help="only this customer's (external id or database id)")
    ls.add_argument("--status", choices=[s.value for s in ServiceStatus], help="only services in this status")
    ls.add_argument(
        "--expiring-before", metavar="YYYY-MM-DD", help="only services expiring before this day (not on it)"
    )
    ls.set_defaults(func=cmd_list)


def cmd_list(args: argparse.Namespace) -> int:
    before = parse_day(args.expiring_before, "--expiring-before") if args.expiring_before else None
    app = get_app(args, read_only=True)
    query = (
        select(Service)
        .options(joinedload(Service.customer), joinedload(Service.product))
        .order_by(Service.expires_on, Service.id)
        .limit(args.limit)
    )
    if args.status:
        query = query.where(Service.status == ServiceStatus(args.status))
    if before is not None:
        query = query.where(Service.expires_on < before)
    try:
        with app.sessions() as session:
            if args.customer:
                query = query.where(Service.customer_id == customer_by_ref(session, args.customer).id)
            rows = [
                {
                    "id": s.id,
                    "external_id": s.external_id,
                    "customer": s.customer.external_id,
                    "product": s.product.code,
                    "label": s.label,
                    "username": s.username,
                    "expires_on": s.expires_on.isoformat(),
                    "status": s.status.value,
                    "autorenew": s.autorenew,
                    "payment_method": s.payment_method.value,
                }
                for s in session.scalars(query)
            ]
    finally:
        app.close()
    print_listing(
        rows,
        ("ID", "EXTERNAL ID", "CUSTOMER", "PRODUCT", "EXPIRES", "STATUS", "AUTORENEW", "LABEL"),
        (
            (
                r["id"],
                r["external_id"],
                r["customer"],
                r["product"],
                r["expires_on"],
                r["status"],
                "yes" if r["autorenew"] else "no",
                r["label"],
            )
            for r in rows
        ),
        "service",
        as_json=args.json,
    )
    return 0
