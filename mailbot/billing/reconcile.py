"""Statement lines matched to the orders they pay: values in, one outcome per line out.

Each line, in statement order, is decided by the first rule that applies:
1. ``duplicate``: its key is in ``already_applied_keys`` (dealt with by an earlier import) or an earlier
   line of this call has the same key (the same statement, or an overlapping one, given twice). It is
   matched to no order.
2. ``debit``: money going out (the amount is negative): ignored, and not for staff.
3. ``unmatched``: a zero amount, or a currency other than the orders'.
4. The order numbers in the remittance (``find_order_numbers``) that name a known order (open, or one of
   ``closed_orders``). Exactly one: that order (``matched_by="reference"``); a payer may be anyone (a
   public administration's treasury pays for its office). Several: ``unmatched``, for staff to split.
5. Otherwise, the open orders whose outstanding amount is exactly the line's amount and whose
   customer's name is the payer's (``same_name``): exactly one, that order
   (``matched_by="amount_and_payer"``); none or several, ``unmatched``.

A matched line against its order's outstanding amount (``due_cents - received_cents``, less what
earlier lines of this call applied): equal, ``paid``; less, ``partial``; more, ``excess`` (the order
is paid and ``excess_cents`` is left over). An order in ``closed_orders`` (paid or cancelled before)
gives ``already_paid``. Under split payment the order's ``due_cents`` is already the net amount a
public administration pays, so paying it is ``paid``.

Two lines paying one order in one statement: each applies what is still outstanding, in order. A line
for an order that an earlier line of this call paid in full is a ``duplicate`` when its amount is the
amount of the line that completed the order (the same transfer sent twice), else an ``excess``; either
way it applies nothing and staff return the money. ``duplicate`` by key and by amount differ in
``order_number``: ``None`` for the same bank line seen again, the order for a second payment of it.

Everything but ``paid`` and ``debit`` is for staff (``is_for_staff``), carrying the line: a statement
holds many debits (fees, the provider's own payments), none of them a customer's payment. A line seen
before is shown too: it is most often the same statement imported again, but two distinct transfers
that agree in everything (see ``statements.values``) would also share a key.

The running amounts assume that whoever applies the outcomes records the ``applied_cents`` of each as
received and the key of each line it dealt with (applied, or handed to staff), so that the next import
sees them in ``received_cents`` and ``already_applied_keys``.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from mailbot.billing.statements.values import StatementLine, format_cents

# ORD, a separator or none, the year, a separator or none, the sequence; as written, not followed by a digit.
_ORDER_AS_WRITTEN = re.compile(r"(?<![A-Z0-9])ORD[\s\-_/.:#]*(20\d\d)[\s\-_/.]*(\d{1,6})(?!\d)", re.IGNORECASE)
# The same with every space and line break removed (a bank cut the number), the sequence of six digits.
_ORDER_SPACES_REMOVED = re.compile(r"ORD[\-_/.:#]*(20\d\d)[\-_/.]*(\d{6})", re.IGNORECASE)
SEQUENCE_DIGITS = 6
# Legal forms, Italian then the common foreign ones; dots are removed first (s.r.l. -> srl)
LEGAL_FORMS = frozenset(
    {
        *("srl", "srls", "srlu", "spa", "sapa", "sas", "snc", "scarl", "scrl", "scpa", "sc", "ss"),
        *("soc", "societa", "coop", "cooperativa", "onlus"),
        *("gmbh", "ag", "kg", "ohg", "ug", "mbh", "mbb", "ltd", "limited", "llc", "llp", "plc", "inc", "corp"),
        *("sa", "sl", "sarl", "bv", "nv"),
    }
)


class Outcome(enum.StrEnum):
    PAID = "paid"
    PARTIAL = "partial"
    EXCESS = "excess"
    DUPLICATE = "duplicate"
    UNMATCHED = "unmatched"
    DEBIT = "debit"
    ALREADY_PAID = "already_paid"


@dataclass(frozen=True)
class OpenOrder:
    """An order awaiting payment. ``due_cents`` is what the customer owes in all (for a public
    administration under split payment, the net amount); ``received_cents`` what was registered."""

    number: str
    customer_name: str
    due_cents: int
    received_cents: int = 0


@dataclass(frozen=True)
class LineOutcome:
    """What one line does. ``applied_cents`` is the part of the line that pays ``order_number`` (0
    when it pays nothing); ``note`` says why, for staff."""

    kind: Outcome
    line: StatementLine
    order_number: str | None = None
    applied_cents: int = 0
    matched_by: str = ""
    note: str = ""

    @property
    def excess_cents(self) -> int:
        """What a credit brought beyond what it applied (the money staff return or keep)."""
        return self.line.amount_cents - self.applied_cents if self.kind is not Outcome.DEBIT else 0

    @property
    def is_for_staff(self) -> bool:
        """Whether a person must look at it: everything but ``paid`` and ``debit``."""
        return self.kind not in (Outcome.PAID, Outcome.DEBIT)


def reconcile(
    lines: Iterable[StatementLine],
    open_orders: Iterable[OpenOrder],
    already_applied_keys: Collection[str],
    *,
    closed_orders: Collection[str] = (),
    currency: str = "EUR",
) -> tuple[LineOutcome, ...]:
    """One outcome per line, in order (see the module's text)."""
    orders = {}
    for order in open_orders:
        if order.number in orders:
            raise ValueError(f"order {order.number} given twice")
        orders[order.number] = order
    state = _Running(orders, frozenset(closed_orders) - orders.keys())
    seen: set[str] = set()
    outcomes = []
    for line in lines:
        if line.key in already_applied_keys or line.key in seen:
            note = "this bank line was dealt with before" if line.key in already_applied_keys else "given twice"
            outcomes.append(LineOutcome(Outcome.DUPLICATE, line, note=note))
            continue
        seen.add(line.key)
        outcomes.append(_decide(line, state, currency))
    return tuple(outcomes)


class _Running:
    """The orders, what lines of this call applied to each, which line completed each, and the open
    orders by outstanding amount with their customers' name words (for matching by amount and payer)."""

    def __init__(self, orders: dict[str, OpenOrder], closed: frozenset[str]) -> None:
        self.orders = orders
        self.closed = closed
        self.applied: dict[str, int] = {}
        self.completed_by: dict[str, int] = {}  # order number -> amount of the line that paid it off
        self.words = {number: name_words(order.customer_name) for number, order in orders.items()}
        self.by_outstanding: dict[int, set[str]] = {}
        for number in orders:
            self.by_outstanding.setdefault(self.outstanding(number), set()).add(number)

    def outstanding(self, number: str) -> int:
        order = self.orders[number]
        return order.due_cents - order.received_cents - self.applied.get(number, 0)

    def apply(self, number: str, cents: int, line_amount: int) -> None:
        self.by_outstanding[self.outstanding(number)].discard(number)
        self.applied[number] = self.applied.get(number, 0) + cents
        self.by_outstanding.setdefault(self.outstanding(number), set()).add(number)
        if self.outstanding(number) <= 0:
            self.completed_by.setdefault(number, line_amount)

    def owing(self, cents: int, payer: str) -> list[str]:
        """The open orders that still owe exactly ``cents`` to a customer named as ``payer``, sorted."""
        words = name_words(payer)
        return sorted(n for n in self.by_outstanding.get(cents, ()) if words and self.words[n] == words)


def _decide(line: StatementLine, state: _Running, currency: str) -> LineOutcome:
    if line.amount_cents < 0:
        return LineOutcome(Outcome.DEBIT, line)
    if line.amount_cents == 0:
        return LineOutcome(Outcome.UNMATCHED, line, note="zero amount")
    if line.currency != currency:
        return LineOutcome(Outcome.UNMATCHED, line, note=f"in {line.currency}, the orders are in {currency}")
    named = find_order_numbers(line.remittance)
    known = [number for number in named if number in state.orders or number in state.closed]
    if len(known) > 1:
        return LineOutcome(Outcome.UNMATCHED, line, note=f"names several orders: {', '.join(known)}")
    if known:
        return _pay(line, known[0], state, "reference")
    by_amount = state.owing(line.amount_cents, line.payer_name)
    unknown = f"names {', '.join(named)}, not a known order; " if named else ""
    if len(by_amount) == 1:
        return _pay(line, by_amount[0], state, "amount_and_payer", note=unknown.removesuffix("; "))
    if by_amount:
        return LineOutcome(
            Outcome.UNMATCHED, line, note=f"{unknown}open orders of this amount and payer: {', '.join(by_amount)}"
        )
    return LineOutcome(
        Outcome.UNMATCHED, line, note=f"{unknown}no order number, and no open order of this amount and payer"
    )


def _pay(line: StatementLine, number: str, state: _Running, matched_by: str, note: str = "") -> LineOutcome:
    amount = line.amount_cents
    if number in state.closed:
        return LineOutcome(Outcome.ALREADY_PAID, line, number, 0, matched_by, "the order is no longer open")
    outstanding = state.outstanding(number)
    if outstanding <= 0:
        first = state.completed_by.get(number)
        kind = Outcome.DUPLICATE if first == amount else Outcome.EXCESS
        text = "paid in full by an earlier line" + (" of the same amount" if kind is Outcome.DUPLICATE else "")
        return LineOutcome(kind, line, number, 0, matched_by, _join(note, text))
    applied = min(amount, outstanding)
    state.apply(number, applied, amount)
    if amount == outstanding:
        return LineOutcome(Outcome.PAID, line, number, applied, matched_by, note)
    if amount < outstanding:
        text = f"{format_cents(outstanding - amount)} still due"
        return LineOutcome(Outcome.PARTIAL, line, number, applied, matched_by, _join(note, text))
    text = f"{format_cents(amount - outstanding)} more than the {format_cents(outstanding)} due"
    return LineOutcome(Outcome.EXCESS, line, number, applied, matched_by, _join(note, text))


def _join(*notes: str) -> str:
    return "; ".join(note for note in notes if note)


def find_order_numbers(text: str) -> list[str]:
    """The order numbers ``ORD-YYYY-NNNNNN`` a remittance may mean, in order, without repeats.

    Read as written: ``ORD-2026-000123``, ``ord-2026-000123``, ``ORD2026000123``, ``ORD 2026 123``
    (a short sequence is taken only when it does not start with 0: nobody writes ``0123``, while
    ``ORD-2026-0001`` is a number cut by the bank). Read again with every space and line break removed,
    for a number the bank cut (``ORD-2026-0001 24``), taking six digits. Both readings are returned;
    the caller keeps those that name a known order."""
    found = []
    for match in _ORDER_AS_WRITTEN.finditer(text):
        year, sequence = match.groups()
        if len(sequence) == SEQUENCE_DIGITS or not sequence.startswith("0"):
            found.append(f"ORD-{year}-{int(sequence):06d}")
    compact = "".join(text.split())
    found.extend(f"ORD-{m.group(1)}-{m.group(2)}" for m in _ORDER_SPACES_REMOVED.finditer(compact))
    return list(dict.fromkeys(found))


def same_name(payer: str, customer: str) -> bool:
    """The same party, however written: case, accents, punctuation, spacing, word order and legal form
    (``Rossi Mario S.R.L.`` is ``rossi mario srl`` is ``Mario Rossi``) do not count."""
    words = name_words(payer)
    return bool(words) and words == name_words(customer)


def name_words(name: str) -> tuple[str, ...]:
    """``name``'s words, sorted: lowercase, no accents or punctuation, no legal form."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    plain = re.sub(r"[^a-z0-9\s]", " ", plain.replace(".", ""))
    return tuple(sorted(word for word in plain.split() if word not in LEGAL_FORMS))


def outcomes_for_staff(outcomes: Sequence[LineOutcome]) -> list[LineOutcome]:
    """The outcomes a person must look at, in order."""
    return [outcome for outcome in outcomes if outcome.is_for_staff]
