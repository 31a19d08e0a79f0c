"""``mailbot link check URL``: what a renewal link grants and whether it still works: a valid signature
and age, and a grant that still stands (``outbound/grants.py``). Exit 0 when usable, 1 when not."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from mailbot.app import App
from mailbot.cli.common import get_app
from mailbot.cli.output import print_json, print_lines
from mailbot.outbound.grants import GrantState, load_grant_state, service_problem, why_not_usable
from mailbot.outbound.links import LinkCheck


def register(sub: Any) -> None:
    link = sub.add_parser("link", help="renewal links")
    linksub = link.add_subparsers(dest="link_command", required=True, metavar="ACTION")
    check = linksub.add_parser("check", help="say what a renewal link grants and whether it is still valid")
    check.add_argument("url", help="the full link, or just its token")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    app = get_app(args, read_only=True)
    now = datetime.now(UTC)
    url: str = args.url
    try:
        result = app.links.check_url(url, now) if "t=" in url else app.links.check_token(url, now)
        report = describe(app, result)
    finally:
        app.close()
    if args.json:
        print_json(report)
    else:
        print_lines(format_report(report, app.config.tz))
    return 0 if report["usable"] else 1


def describe(app: App, result: LinkCheck) -> dict[str, Any]:
    """The signature check, then what the database says of what the link grants (``grants.py``): the
    link is usable only when both hold. A database that cannot be read is an error, never a guess."""
    report: dict[str, Any] = {"signature": result.reason, "valid": result.valid, "usable": False}
    grant = result.grant
    if grant is None:
        return report
    with app.sessions() as session:
        state = load_grant_state(session, grant)
    problems = why_not_usable(grant, state)
    report.update(
        customer_id=grant.customer_id,
        customer=state.customer or "not found",
        action=grant.action,
        order_number=grant.order_number,
        order=state.order.status if state.order else ("not found" if grant.order_number else None),
        issued_at=grant.issued_at.isoformat(),
        expires_at=result.expires_at.isoformat() if result.expires_at else None,
        services=[_service_entry(grant.customer_id, sid, cycle, state) for sid, cycle in grant.services],
        problems=problems,
        usable=result.valid and not problems,
    )
    return report


def _service_entry(customer_id: int, service_id: int, cycle: date, state: GrantState) -> dict[str, Any]:
    service = state.services.get(service_id)
    problem = service_problem(customer_id, cycle, service)
    current = f"current ({service.label}, {service.status})" if service is not None else ""
    return {"id": service_id, "cycle_expiry": cycle.isoformat(), "state": problem or current}


def format_report(report: dict[str, Any], tz: tzinfo | None = None) -> list[str]:
    """The report as lines; ``tz``: the zone its two instants are shown in (the JSON keeps them in UTC)."""
    lines = [f"signature: {report['signature']}"]
    for key in ("action", "customer", "order_number", "order", "issued_at", "expires_at"):
        value = report.get(key)
        if value is not None and key.endswith("_at") and tz is not None:
            value = f"{datetime.fromisoformat(value).astimezone(tz):%Y-%m-%d %H:%M %Z}"
        if value is not None:
            lines.append(f"{key.replace('_', ' ')}: {value}")
    for entry in report.get("services", []):
        state = entry.get("state", "")
        lines.append(f"service {entry['id']} (cycle ending {entry['cycle_expiry']}): {state}".rstrip(": "))
    lines += [f"not usable: {problem}" for problem in report.get("problems", [])]
    lines.append("usable: yes" if report["usable"] else "usable: NO")
    return lines
