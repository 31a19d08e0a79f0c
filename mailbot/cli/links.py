"""``mailbot link check URL``: what a renewal link grants and whether it still works."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from mailbot.app import App
from mailbot.cli.common import get_app
from mailbot.cli.output import print_json, print_lines
from mailbot.db.models import Customer, Order, Service
from mailbot.outbound.links import LinkCheck


def register(sub: Any) -> None:
    link = sub.add_parser("link", help="renewal links")
    linksub = link.add_subparsers(dest="link_command", required=True, metavar="ACTION")
    check = linksub.add_parser("check", help="say what a renewal link grants and whether it is still valid")
    check.add_argument("url", help="the full link, or just its token")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    app = get_app(args)
    now = datetime.now(UTC)
    url: str = args.url
    result = app.links.check_url(url, now) if "t=" in url else app.links.check_token(url, now)
    report = describe(app, result)
    if args.json:
        print_json(report)
    else:
        print_lines(format_report(report))
    app.close()
    return 0 if report["usable"] else 1


def describe(app: App, result: LinkCheck) -> dict[str, Any]:
    """The signature check plus, when the database is reachable, whether each cycle is still current."""
    report: dict[str, Any] = {"signature": result.reason, "valid": result.valid, "usable": result.valid}
    grant = result.grant
    if grant is None:
        return report
    report.update(
        customer_id=grant.customer_id,
        action=grant.action,
        order_number=grant.order_number,
        issued_at=grant.issued_at.isoformat(),
        expires_at=result.expires_at.isoformat() if result.expires_at else None,
        services=[{"id": sid, "cycle_expiry": exp.isoformat()} for sid, exp in grant.services],
    )
    try:
        with app.sessions() as session:
            customer = session.get(Customer, grant.customer_id)
            report["customer"] = f"{customer.name} <{customer.email}>" if customer else "not found"
            current = True
            for entry in report["services"]:
                service = session.get(Service, entry["id"])
                if service is None or service.customer_id != grant.customer_id:
                    entry["state"] = "not found for this customer"
                    current = False
                elif service.expires_on.isoformat() != entry["cycle_expiry"]:
                    entry["state"] = f"already renewed (now expires {service.expires_on.isoformat()})"
                    current = False
                else:
                    entry["state"] = f"current ({service.label}, {service.status.value})"
            if grant.order_number:
                order = session.scalar(select(Order).where(Order.number == grant.order_number))
                report["order"] = order.status.value if order else "not found"
                current = current and order is not None
            report["usable"] = result.valid and current
    except SQLAlchemyError as exc:
        report["database"] = f"not checked: {exc.__class__.__name__}"
    return report


def format_report(report: dict[str, Any]) -> list[str]:
    lines = [f"signature: {report['signature']}"]
    for key in ("action", "customer", "order_number", "order", "issued_at", "expires_at", "database"):
        if report.get(key) is not None:
            lines.append(f"{key.replace('_', ' ')}: {report[key]}")
    for entry in report.get("services", []):
        state = entry.get("state", "")
        lines.append(f"service {entry['id']} (cycle ending {entry['cycle_expiry']}): {state}".rstrip(": "))
    lines.append("usable: yes" if report["usable"] else "usable: NO")
    return lines
