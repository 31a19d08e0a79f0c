"""``mailbot tickets``: staff see what customers' mail asked for and act on it (the web page comes later).

- ``tickets list [--status open|approved|rejected|closed|all] [--kind support|request] [--json]``;
- ``tickets show ID [--json]``: the ticket, the staged change, and its message: sender, subject,
  intent, fields, invalid values, the rules trace and the new text;
- ``tickets approve ID [--by NAME] [--order NUMBER]``: apply a request's staged change (``--order`` names
  the order when the message named none of several open ones);
- ``tickets reject ID --reason TEXT``, ``tickets assign ID NAME``, ``tickets close ID [--note TEXT]``.
The staff actor is ``--by`` or ``$USER``. Every step is audited; an error names the ticket (exit 2) and
changes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.act.tickets import TicketError, approve_ticket, assign_ticket, close_ticket, get_ticket, reject_ticket
from mailbot.cli.common import get_app
from mailbot.cli.output import print_json, print_line, print_lines
from mailbot.db.engine import transaction
from mailbot.db.models import InboundMessage, Ticket
from mailbot.domain import TicketKind, TicketStatus
from mailbot.orders import find_order
from mailbot.text import visible, visible_lines

STATUSES = [s.value for s in TicketStatus]
# What ``tickets show`` prints of a message's match besides its method (``matching.Match.details``).
_MATCH_LINES = (("unverified", "not verified"), ("authentication", "From authentication"))


def register(sub: Any) -> None:
    p = sub.add_parser("tickets", help="support tickets and staff requests from customers' mail")
    tsub = p.add_subparsers(dest="tickets_command", required=True, metavar="ACTION")
    lst = tsub.add_parser("list", help="tickets, newest first (default: the open ones)")
    lst.add_argument("--status", choices=[*STATUSES, "all"], default="open")
    lst.add_argument("--kind", choices=[k.value for k in TicketKind])
    lst.add_argument("--limit", type=int, default=100)
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)
    show = tsub.add_parser("show", help="a ticket and the message behind it")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)
    approve = tsub.add_parser("approve", help="apply a request's staged change")
    approve.add_argument("id", type=int)
    approve.add_argument("--order", metavar="NUMBER", help="the order to change, when the message named none")
    approve.set_defaults(func=cmd_approve)
    reject = tsub.add_parser("reject", help="refuse a request (nothing is changed)")
    reject.add_argument("id", type=int)
    reject.add_argument("--reason", required=True)
    reject.set_defaults(func=cmd_reject)
    assign = tsub.add_parser("assign", help="give a ticket to a person")
    assign.add_argument("id", type=int)
    assign.add_argument("assignee", metavar="NAME")
    assign.set_defaults(func=cmd_assign)
    close = tsub.add_parser("close", help="close a ticket once handled")
    close.add_argument("id", type=int)
    close.add_argument("--note", default="")
    close.set_defaults(func=cmd_close)
    for action in (approve, reject, assign, close):
        action.add_argument("--by", metavar="NAME", help="who acts (default: $USER)")


def actor(args: argparse.Namespace) -> str:
    return str(args.by or os.environ.get("USER") or "staff").strip() or "staff"


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
    app = get_app(args)
    query = select(Ticket).order_by(Ticket.id.desc()).limit(args.limit)
    if args.status != "all":
        query = query.where(Ticket.status == TicketStatus(args.status))
    if args.kind:
        query = query.where(Ticket.kind == TicketKind(args.kind))
    try:
        with app.sessions() as session:
            rows = [ticket_row(t) for t in session.scalars(query)]
    finally:
        app.close()
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        who = f"  [{r['assignee']}]" if r["assignee"] else ""
        print_line(f"{r['id']:>6}  {r['status']:<8} {r['kind']:<7} {r['intent']:<18} {visible(r['summary'])[:90]}{who}")
    print_line(f"{len(rows)} tickets")
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
    app = get_app(args)
    try:
        with app.sessions() as session:
            view = ticket_view(session, get_ticket(session, args.id))
    finally:
        app.close()
    if args.json:
        print_json(view)
    else:
        print_lines(format_view(view))
    return 0


def format_view(view: dict[str, Any]) -> list[str]:
    """The ticket as lines for a terminal (``output.print_lines`` makes each one visible)."""
    lines = [f"ticket {view['id']}: {view['kind']} {view['status']} ({view['intent']})", f"summary: {view['summary']}"]
    for key in ("assignee", "resolved_by", "resolution"):
        if view.get(key):
            lines.append(f"{key.replace('_', ' ')}: {view[key]}")
    details = view["details"]
    if "change" in details:
        lines.append(f"staged change: {json.dumps(details['change'], ensure_ascii=False)}")
    for reason in details.get("why_not_automatic", []):
        lines.append(f"waits for staff: {reason}")
    if details.get("note"):
        lines.append(f"note: {details['note']}")
    message = view.get("message")
    if message is None:
        return lines
    lines += [
        f"message {message['id']} {message['message_id'] or '(no Message-ID)'} ({message['status']})",
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
    change = ticket.details.get("change")
    if not isinstance(change, dict) or "order_id" not in change:
        raise TicketError(f"ticket {ticket.id}: its change is not about an order: --order does not apply")
    order = find_order(session, number)
    if order is None or order.customer_id != ticket.customer_id:
        raise TicketError(f"ticket {ticket.id}: order {number} does not exist or is not this customer's")
    ticket.details = {**ticket.details, "change": {**change, "order_id": order.id}}
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
