"""``mailbot tickets``: staff see what customers' mail asked for and act on it (the web page comes later).

- ``tickets list [--status open|approved|rejected|closed|all] [--kind support|request] [--json]``;
- ``tickets show ID [--json]``: the ticket, the staged change, and its message: sender, subject,
  intent, fields, invalid values, the rules trace and the new text;
- ``tickets approve ID [--actor NAME] [--order NUMBER]``: apply a request's staged change (``--order``
  names the order, by number or database id, when the message named none of several open ones);
- ``tickets reject ID --reason TEXT``, ``tickets assign ID NAME``, ``tickets close ID [--note TEXT]``.
The staff actor is ``--actor`` (``--by`` still works) or ``$USER``. Every step is audited; an error names
the ticket (exit 2) and changes nothing. Times are shown in ``general.timezone``.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.act.changes import NEW_ORDER
from mailbot.act.tickets import TicketError, approve_ticket, assign_ticket, close_ticket, get_ticket, reject_ticket
from mailbot.cli.common import actor, add_actor, get_app, local_time
from mailbot.cli.lookup import order_by_ref
from mailbot.cli.output import print_json, print_line, print_lines, print_listing
from mailbot.config import Config
from mailbot.db.engine import transaction
from mailbot.db.models import InboundMessage, Ticket
from mailbot.domain import TicketKind, TicketStatus
from mailbot.errors import NotFoundError
from mailbot.text import visible_lines

STATUSES = [s.value for s in TicketStatus]
# What ``tickets show`` prints of a message's match besides its method (``matching.Match.details``).
_MATCH_LINES = (("unverified", "not verified"), ("authentication", "From authentication"))


def register(sub: Any) -> None:
    p = sub.add_parser("tickets", help="support tickets and staff requests from customers' mail")
    tsub = p.add_subparsers(dest="tickets_command", required=True, metavar="ACTION")
    lst = tsub.add_parser("list", help="tickets, newest first (default: the open ones)")
    lst.add_argument(
        "--status", choices=[*STATUSES, "all"], default="open", help="only tickets in this status (default: open)"
    )
    lst.add_argument("--kind", choices=[k.value for k in TicketKind], help="only support tickets, or only requests")
    lst.add_argument("--limit", type=int, default=100, metavar="N", help="at most N tickets (default: 100)")
    lst.add_argument("--json", action="store_true", help="print JSON instead of a table")
    lst.set_defaults(func=cmd_list)
    show = tsub.add_parser("show", help="a ticket and the message behind it")
    show.add_argument("id", type=int, help="the ticket's id")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=cmd_show)
    approve = tsub.add_parser("approve", help="apply a request's staged change")
    approve.add_argument("id", type=int, help="the ticket's id")
    approve.add_argument(
        "--order", metavar="NUMBER", help="the order to change (number or database id), when the message named none"
    )
    approve.set_defaults(func=cmd_approve)
    reject = tsub.add_parser("reject", help="refuse a request (nothing is changed)")
    reject.add_argument("id", type=int, help="the ticket's id")
    reject.add_argument("--reason", required=True, help="why, kept with the ticket and in the audit log")
    reject.set_defaults(func=cmd_reject)
    assign = tsub.add_parser("assign", help="give a ticket to a person")
    assign.add_argument("id", type=int, help="the ticket's id")
    assign.add_argument("assignee", metavar="NAME", help="who handles it")
    assign.set_defaults(func=cmd_assign)
    close = tsub.add_parser("close", help="close a ticket once handled")
    close.add_argument("id", type=int, help="the ticket's id")
    close.add_argument("--note", default="", help="what was done, kept with the ticket")
    close.set_defaults(func=cmd_close)
    for action in (approve, reject, assign, close):
        add_actor(action, "--by")


def ticket_row(t: Ticket) -> dict[str, Any]:
    return {
        "id": t.id,
        "kind": t.kind.value,
        "status": t.status.value,
        "intent": t.intent,
        "summary": t.summary,
        "customer_id": t.customer_id,
        "order_id": t.order_id,
        "inbound_id": t.inbound_id,
        "assignee": t.assignee,
        "created": t.created_at.isoformat(timespec="seconds"),
        "resolved": t.resolved_at.isoformat(timespec="seconds") if t.resolved_at else None,
        "resolved_by": t.resolved_by,
        "resolution": t.resolution,
    }


def cmd_list(args: argparse.Namespace) -> int:
    app = get_app(args, read_only=True)
    query = select(Ticket).order_by(Ticket.id.desc()).limit(args.limit)
    if args.status != "all":
        query = query.where(Ticket.status == TicketStatus(args.status))
    if args.kind:
        query = query.where(Ticket.kind == TicketKind(args.kind))
    try:
        with app.sessions() as session:
            tickets = list(session.scalars(query))
            rows = [ticket_row(t) for t in tickets]
    finally:
        app.close()
    print_listing(
        rows,
        ("ID", "CREATED", "STATUS", "KIND", "INTENT", "SUMMARY"),
        (
            (
                t.id,
                local_time(app.config, t.created_at),
                t.status.value,
                t.kind.value,
                t.intent,
                t.summary[:90] + (f"  [{t.assignee}]" if t.assignee else ""),
            )
            for t in tickets
        ),
        "ticket",
        as_json=args.json,
    )
    return 0


def ticket_view(session: Session, ticket: Ticket) -> dict[str, Any]:
    """The ticket with its staged change and a summary of the message that caused it."""
    view = ticket_row(ticket) | {"details": ticket.details}
    inbound = session.get(InboundMessage, ticket.inbound_id) if ticket.inbound_id is not None else None
    if inbound is not None:
        u = inbound.understanding or {}
        view["message"] = {
            "id": inbound.id,
            "message_id": inbound.message_id,
            "status": inbound.status.value,
            "received": inbound.received_at.isoformat(timespec="seconds"),
            "sender": inbound.sender,
            "subject": inbound.subject,
            "kind": inbound.kind,
            "intent": inbound.intent,
            "match": {"method": inbound.match_method, "verified": inbound.verified_sender, **u.get("match", {})},
            "fields": u.get("fields", {}),
            "invalid": u.get("invalid", []),
            "card_number_detected": inbound.card_number_detected,
            "card_number_kept": bool(u.get("card_number_kept")),
            "review_reasons": u.get("review_reasons", []),
            "rules": u.get("rules", []),
            "reply_text": u.get("reply_text", ""),
            "error": inbound.error,
        }
    return view


def cmd_show(args: argparse.Namespace) -> int:
    app = get_app(args, read_only=True)
    try:
        with app.sessions() as session:
            ticket = get_ticket(session, args.id)
            view = ticket_view(session, ticket)
            times = _local_times(app.config, ticket, session)
    finally:
        app.close()
    if args.json:
        print_json(view)
    else:
        print_lines(format_view(view, times))
    return 0


def _local_times(config: Config, ticket: Ticket, session: Session) -> dict[str, str]:
    """The ticket's times, and its message's, in the configured time zone (the JSON keeps ISO 8601 in UTC)."""
    inbound = session.get(InboundMessage, ticket.inbound_id) if ticket.inbound_id is not None else None
    return {
        "created": local_time(config, ticket.created_at),
        "resolved": local_time(config, ticket.resolved_at),
        "received": local_time(config, inbound.received_at) if inbound is not None else "",
    }


def format_view(view: dict[str, Any], times: dict[str, str] | None = None) -> list[str]:
    """The ticket as lines for a terminal (``output.print_lines`` makes each one visible); ``times``: its
    times as people read them (else the view's own, in UTC)."""
    times = times or {"created": view["created"], "resolved": view["resolved"] or "", "received": ""}
    lines = [f"ticket {view['id']}: {view['kind']} {view['status']} ({view['intent']})", f"summary: {view['summary']}"]
    lines.append(f"created: {times['created']}" + (f", resolved: {times['resolved']}" if times["resolved"] else ""))
    for key in ("assignee", "resolved_by", "resolution"):
        if view.get(key):
            lines.append(f"{key.replace('_', ' ')}: {view[key]}")
    details = view["details"]
    if "change" in details:
        lines.append(f"staged change: {json.dumps(details['change'], ensure_ascii=False)}")
    for n, item in enumerate(details.get("changes") or [], start=1):  # a message of several requests
        if isinstance(item, dict):
            change = json.dumps(item.get("change"), ensure_ascii=False)
            lines.append(f"staged change {n} ({item.get('intent')}): {change}")
    for note in details.get("notes") or []:
        lines.append(f"also asked: {note}")
    for reason in details.get("why_not_automatic", []):
        lines.append(f"waits for staff: {reason}")
    if details.get("note"):
        lines.append(f"note: {details['note']}")
    message = view.get("message")
    if message is None:
        return lines
    lines += [
        f"message {message['id']} {message['message_id'] or '(no Message-ID)'} ({message['status']})"
        + (f", received {times['received']}" if times["received"] else ""),
        f"  from: {message['sender']}   matched by: {message['match']['method'] or 'nothing'}"
        f"{' (verified)' if message['match']['verified'] else ''}",
        *(f"  {label}: {message['match'][key]}" for key, label in _MATCH_LINES if message["match"].get(key)),
        *(f"  match: {note}" for note in message["match"].get("notes", [])),
        f"  subject: {message['subject']}",
        f"  kind/intent: {message['kind']} / {message['intent']}",
        f"  fields: {json.dumps(message['fields'], ensure_ascii=False)}",
    ]
    for bad in message["invalid"]:
        lines.append(f"  invalid: {bad['field']} {bad['value']!r}: {bad['reason']}")
    if message["card_number_detected"] and message["card_number_kept"]:
        lines.append("  a card number was detected, and the stored copy of the message still holds it")
    elif message["card_number_detected"]:
        lines.append("  a card number was detected (redacted everywhere)")
    if message["error"]:
        lines.append(f"  error: {message['error']}")
    for rule in message["rules"]:
        lines.append(f"  rule {rule.get('rule')}: {'HIT' if rule.get('hit') else 'miss'} {rule.get('why', '')}")
    lines += ["  new text:", *("    " + line for line in visible_lines(str(message["reply_text"])))]
    return lines


def cmd_approve(args: argparse.Namespace) -> int:
    app = get_app(args)
    try:
        with transaction(app.sessions) as session:
            if args.order:
                name_order(session, args.id, args.order)
            ticket = approve_ticket(session, app, args.id, actor(args), datetime.now(UTC))
            print_line(f"ticket {ticket.id}: approved: {ticket.resolution}")
    finally:
        app.close()
    return 0


def name_order(session: Session, ticket_id: int, number: str) -> None:
    """Set the order of a request's staged change (its message named none of several open orders)."""
    ticket = get_ticket(session, ticket_id, lock=True)
    several = ticket.details.get("changes")
    items = [i for i in several if isinstance(i, dict)] if isinstance(several, list) else []
    changes: list[Any] = [i.get("change") for i in items] or [ticket.details.get("change")]
    about_order = [c for c in changes if isinstance(c, dict) and "order_id" in c and c["order_id"] != NEW_ORDER]
    if not about_order:
        raise TicketError(f"ticket {ticket.id}: its change is not about an order: --order does not apply")
    try:
        order = order_by_ref(session, number)
    except NotFoundError:
        order = None
    if order is None or order.customer_id != ticket.customer_id:
        raise TicketError(f"ticket {ticket.id}: order {number} does not exist or is not this customer's")
    if items:
        named = [
            {**i, "change": {**i["change"], "order_id": order.id}}
            if any(i.get("change") is c for c in about_order)
            else i
            for i in items
        ]
        ticket.details = {**ticket.details, "changes": named}
    else:
        ticket.details = {**ticket.details, "change": {**about_order[0], "order_id": order.id}}
    ticket.order_id = order.id


def cmd_reject(args: argparse.Namespace) -> int:
    return _simple(args, lambda s, now: reject_ticket(s, args.id, actor(args), args.reason, now), "rejected")


def cmd_assign(args: argparse.Namespace) -> int:
    return _simple(args, lambda s, now: assign_ticket(s, args.id, args.assignee, actor(args), now), "assigned")


def cmd_close(args: argparse.Namespace) -> int:
    return _simple(args, lambda s, now: close_ticket(s, args.id, actor(args), now, args.note), "closed")


def _simple(args: argparse.Namespace, step: Any, done: str) -> int:
    app = get_app(args)
    try:
        with transaction(app.sessions) as session:
            ticket: Ticket = step(session, datetime.now(UTC))
            extra = f" to {ticket.assignee}" if done == "assigned" else ""
            print_line(f"ticket {ticket.id}: {done}{extra}")
    finally:
        app.close()
    return 0
