"""``mailbot customers list``: the customers, as imported from the CSV files.

Filters: ``--search TEXT`` (in the external id, name or email), ``--kind``, ``--undeliverable``.
"""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import func, or_, select

from mailbot.cli.common import add_list_command, get_app
from mailbot.cli.output import print_listing
from mailbot.db.models import Customer, Service
from mailbot.domain import CustomerKind


def register(sub: Any) -> None:
    ls = add_list_command(sub, "customers", "the customers: list", "list customers by external id")
    ls.add_argument("--search", metavar="TEXT", help="only customers with TEXT in their external id, name or email")
    ls.add_argument("--kind", choices=[k.value for k in CustomerKind], help="only customers of this kind")
    ls.add_argument(
        "--undeliverable", action="store_true", help="only customers whose address bounced (no mail goes to them)"
    )
    ls.set_defaults(func=cmd_list)


def cmd_list(args: argparse.Namespace) -> int:
    app = get_app(args, read_only=True)
    services = select(func.count(Service.id)).where(Service.customer_id == Customer.id).scalar_subquery()
    query = select(Customer, services).order_by(Customer.external_id).limit(args.limit)
    if args.search:
        pattern = f"%{args.search.lower()}%"
        query = query.where(
            or_(
                func.lower(Customer.external_id).like(pattern),
                func.lower(Customer.name).like(pattern),
                func.lower(Customer.email).like(pattern),
            )
        )
    if args.kind:
        query = query.where(Customer.kind == CustomerKind(args.kind))
    if args.undeliverable:
        query = query.where(Customer.email_undeliverable.is_(True))
    try:
        with app.sessions() as session:
            rows = [
                {
                    "id": c.id,
                    "external_id": c.external_id,
                    "kind": c.kind.value,
                    "name": c.name,
                    "email": c.email,
                    "language": c.language,
                    "services": n,
                    "undeliverable": c.email_undeliverable,
                }
                for c, n in session.execute(query)
            ]
    finally:
        app.close()
    print_listing(
        rows,
        ("ID", "EXTERNAL ID", "KIND", "LANG", "SERVICES", "EMAIL", "NAME"),
        (
            (
                r["id"],
                r["external_id"],
                r["kind"],
                r["language"],
                r["services"],
                r["email"] + (" (undeliverable)" if r["undeliverable"] else ""),
                r["name"],
            )
            for r in rows
        ),
        "customer",
        as_json=args.json,
    )
    return 0
