"""Which customer, order and outbound email a received message belongs to, and whether its sender is verified.

In order of trust, the first that finds a row wins:
1. ``token``: the reply token in a recipient address (To, Cc, Delivered-To, X-Original-To) shaped like
   ``mail.reply_to`` (``rinnovi+TOKEN@example.it``) -> ``OutboundMessage.reply_token``, while the token is
   younger than ``inbound.reply_token_days`` (an expired one matches nothing by itself: a note says so);
2. ``in_reply_to``: In-Reply-To, then References (newest first), against ``OutboundMessage.message_id``
   (both sides normalised by ``mime.normalize_message_id``); for a bounce, also the Message-IDs of
   our domain quoted in its body;
3. ``order_number``: an ORD-YYYY-NNNNNN in the subject or the new text -> ``Order``, only when the From
   address is that order's customer's email or PEC: order numbers are sequential and easy to guess, so
   quoting one never identifies anybody (a stranger's message keeps the order for staff to see, and
   no customer);
4. ``sender``: the From address against one customer's email or PEC (case-insensitive);
else unmatched.

A match says which account a message is about; only ``verified`` says that its sender is that
customer. It holds when all of these do (else ``unverified`` says which failed first):
- the reply token matched (not expired) and its email went to the customer's email or PEC on file;
- the From address is the very address that email went to;
- the From is authenticated (``MatchKeys.sender_auth``: our receiving server's Authentication-Results,
  or our own DKIM check, see ``sender_auth``).

``match_keys`` is pure (values in, values out); ``find_match`` is the database shell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from mailbot.act.views import UNMATCHED, Match, MatchKeys
from mailbot.db.models import Customer, Order, OutboundMessage
from mailbot.text import visible
from mailbot.understand.mime import ParsedMessage, normalize_message_id

_ORDER = re.compile(r"(?<![A-Za-z0-9])ORD[\s\-_/.]?(\d{4})[\s\-_/.]?(\d{6})(?!\d)", re.IGNORECASE)
_TOKEN = r"([A-Za-z0-9]{8,40})"


def match_keys(
    message: ParsedMessage,
    new_text: str,
    *,
    reply_to: str,
    message_id_domain: str,
    bounce_text: str = "",
) -> MatchKeys:
    """The keys of ``message``; ``bounce_text`` is a bounce's body (quoting our Message-ID)."""
    recipients = [*message.to_addresses, *message.cc_addresses, *message.delivered_to]
    ids = [message.in_reply_to, *reversed(message.references), *our_message_ids(bounce_text, message_id_domain)]
    return MatchKeys(
        tokens=_unique(reply_tokens(recipients, reply_to)),
        message_ids=_unique(i for i in ids if i),
        order_numbers=_unique(order_numbers(f"{message.subject}\n{new_text}")),
        sender=message.from_address.lower() or None,
        message_id_domain=message_id_domain,
    )


def reply_tokens(addresses: Iterable[str], reply_to: str) -> list[str]:
    """The tokens of the addresses shaped like ``reply_to`` (which contains ``{token}``), lowercased."""
    prefix, _, suffix = reply_to.lower().partition("{token}")
    pattern = re.compile(re.escape(prefix) + _TOKEN + re.escape(suffix))
    found = []
    for address in addresses:
        m = pattern.fullmatch(address.strip().lower())
        if m:
            found.append(m.group(1))
    return found


def order_numbers(text: str) -> list[str]:
    """Order numbers as ORD-YYYY-NNNNNN, however spaced or cased, in order of appearance."""
    return [f"ORD-{m.group(1)}-{m.group(2)}" for m in _ORDER.finditer(text)]


def our_message_ids(text: str, domain: str) -> list[str]:
    """Message-IDs of ``domain`` written in ``text`` (a bounce quoting our message), normalised."""
    if not text or not domain:
        return []
    found = re.findall(r"<([^<>\s@]+@" + re.escape(domain) + r")>", text, re.IGNORECASE)
    return [i for i in (normalize_message_id(f"<{f}>") for f in found) if i]


def stored_forms(message_id: str, domain: str) -> set[str]:
    """How a normalised Message-ID may be stored on an outbound row: ``<id>``, with our domain's case."""
    forms = {f"<{message_id}>"}
    local, at, found_domain = message_id.rpartition("@")
    if at and domain and found_domain == domain.lower():
        forms.add(f"<{local}@{domain}>")
    return forms


def is_customer_address(address: str | None, email: str | None, pec: str | None) -> bool:
    """``address`` is the customer's email or PEC, ignoring case and surrounding spaces."""
    if not address:
        return False
    wanted = address.strip().lower()
    return any(candidate and candidate.strip().lower() == wanted for candidate in (email, pec))


# The statements are built once, with bound parameters: building them cost about as much as running them.
_BY_TOKEN = select(OutboundMessage).where(OutboundMessage.reply_token.in_(bindparam("tokens", expanding=True)))
_BY_MESSAGE_ID = select(OutboundMessage).where(OutboundMessage.message_id.in_(bindparam("ids", expanding=True)))
_BY_ORDER_NUMBER = select(Order).where(Order.number.in_(bindparam("numbers", expanding=True)))
_BY_SENDERS = select(Customer.id, func.lower(Customer.email), func.lower(Customer.pec)).where(
    or_(
        func.lower(Customer.email).in_(bindparam("senders", expanding=True)),
        func.lower(Customer.pec).in_(bindparam("senders", expanding=True)),
    )
)
_CUSTOMERS = select(Customer).where(Customer.id.in_(bindparam("ids", expanding=True)))


def find_match(session: Session, keys: MatchKeys, *, now: datetime, token_days: int) -> Match:
    """Try each method in order against the database; the first that finds a row wins."""
    return find_matches(session, [keys], now=now, token_days=token_days)[0]


def find_matches(session: Session, keys: Sequence[MatchKeys], *, now: datetime, token_days: int) -> list[Match]:
    """The match of each of ``keys``, in order, with one query per method for them all and one loading
    the matched customers (so that the caller finds them in the session). For each message the first
    method that finds a row wins; a sender address shared by several customers is no match (a person
    decides). A reply token older than ``token_days`` at ``now`` matches nothing by itself."""
    tokens = sorted({t for k in keys for t in k.tokens})
    ids = sorted({f for k in keys for i in k.message_ids for f in stored_forms(i, k.message_id_domain)})
    numbers = sorted({n for k in keys for n in k.order_numbers})
    senders = sorted({k.sender for k in keys if k.sender})
    by_token = {r.reply_token: r for r in session.scalars(_BY_TOKEN, {"tokens": tokens})} if tokens else {}
    rows = session.scalars(_BY_MESSAGE_ID, {"ids": ids}) if ids else ()
    by_id = {normalize_message_id(r.message_id): r for r in rows}
    by_number = {o.number: o for o in session.scalars(_BY_ORDER_NUMBER, {"numbers": numbers})} if numbers else {}
    by_sender: dict[str, set[int]] = {}
    for customer_id, email, pec in session.execute(_BY_SENDERS, {"senders": senders}) if senders else ():
        for address in {email, pec} & set(senders):
            by_sender.setdefault(address, set()).add(customer_id)
    customer_ids = {r.customer_id for r in by_token.values() if r.customer_id is not None}
    customer_ids |= {r.customer_id for r in by_id.values() if r.customer_id is not None}
    customer_ids |= {o.customer_id for o in by_number.values()} | {i for s in by_sender.values() for i in s}
    customers = {c.id: c for c in session.scalars(_CUSTOMERS, {"ids": sorted(customer_ids)})} if customer_ids else {}
    found_rows = _Found(by_token, by_id, by_number, by_sender, customers)
    oldest = now - timedelta(days=token_days)
    matches = []
    for k in keys:
        found = _match_one(k, found_rows, oldest)
        matches.append(replace(found, authentication=k.sender_auth.detail))
    return matches


@dataclass(frozen=True)
class _Found:
    """What the queries of ``find_matches`` found for a whole batch, by what it was looked up by."""

    by_token: dict[str, OutboundMessage]
    by_id: dict[str | None, OutboundMessage]
    by_number: dict[str, Order]
    by_sender: dict[str, set[int]]
    customers: dict[int, Customer]


def _match_one(k: MatchKeys, found: _Found, oldest: datetime) -> Match:
    by_token, by_id, by_number = found.by_token, found.by_id, found.by_number
    by_sender, customers = found.by_sender, found.customers
    notes: list[str] = []
    rows = [by_token[t] for t in k.tokens if t in by_token]
    row = next((r for r in rows if r.created_at >= oldest), None)
    if row is not None:
        customer = customers.get(row.customer_id) if row.customer_id is not None else None
        why = visible(why_unverified(k, row, customer))
        return Match("token", row.customer_id, row.order_id, row.id, not why, why)
    if rows:
        notes.append(f"reply token of outbound {rows[0].id} expired (sent {rows[0].created_at:%Y-%m-%d})")
    not_token = "no valid reply token of ours" + (" (it expired)" if rows else "")
    row = next((by_id[i] for i in k.message_ids if i in by_id), None)
    if row is not None:
        return Match("in_reply_to", row.customer_id, row.order_id, row.id, False, not_token, tuple(notes))
    quoted = [by_number[n] for n in k.order_numbers if n in by_number]
    for order in quoted:
        owner = customers.get(order.customer_id)
        if owner is not None and is_customer_address(k.sender, owner.email, owner.pec):
            return Match("order_number", order.customer_id, order.id, None, False, not_token, tuple(notes))
    if quoted:
        notes.append(f"order {quoted[0].number} quoted by a sender who is not its customer: it identifies nobody")
    owners = by_sender.get(k.sender or "", set())
    if len(owners) == 1:
        return Match("sender", next(iter(owners)), None, None, False, not_token, tuple(notes))
    if quoted:  # kept for staff to see, with no customer
        return Match("order_number", None, quoted[0].id, None, False, UNMATCHED.unverified, tuple(notes))
    return replace(UNMATCHED, notes=tuple(notes))


def why_unverified(k: MatchKeys, row: OutboundMessage, customer: Customer | None) -> str:
    """Why the sender of a message carrying ``row``'s valid reply token is not verified; "" when it is."""
    if customer is None:
        return "the reply token is of an email to no customer"
    if not is_customer_address(row.to_address, customer.email, customer.pec):
        return f"the reply token is of an email to {row.to_address}, not to the customer's address on file"
    if (k.sender or "") != row.to_address.strip().lower():
        return f"From {k.sender or '(none)'} is not {row.to_address}, where the reply token was sent"
    if not k.sender_auth.authenticated:
        return f"From not authenticated: {k.sender_auth.detail}"
    return ""


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
