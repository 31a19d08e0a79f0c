"""What a bank statement is read into, whatever its format, and how each line gets its key.

A line's ``key`` names the same bank transaction across imports: the same file read twice, or two
statements of one account whose periods overlap (a weekly file after the daily ones), give that
transaction the same key, so whoever applies payments can skip what it has applied before.

- The account servicer's own reference (camt ``AcctSvcrRef``, MT940 ``:61:`` bank reference after
  ``//``) is the key when the line has one, it is not a placeholder (``NONREF``, ``NOTPROVIDED``)
  and no other line of the file's statements of that account carries it: ``<account>/ref/<reference>``.
  The bank gives it once per booking; a reference the payer chose (``EndToEndId``, the MT940 customer
  reference) is never used, since a payer may well send the same one twice.
- Otherwise ``<account>/sha/<32 hex>``: a SHA-256 of the account, booking date, amount, currency,
  remittance (spacing and case ignored), payer IBAN and the shared reference if any, with the line's
  position among the lines of the file for that account that agree on all of these. Two identical
  transfers on one day stay two lines (also when a statement is split into pages); the same day seen
  again in an overlapping statement gives the same keys, since a statement covers whole booking days.

Keys are stable within one format of one bank. The same transaction read once from an MT940 and once
from a camt.053 export has the same key only when both carry the bank's reference; import one format
per account.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

_DECIMAL = re.compile(r"\d{1,18}(?:\.\d{0,5})?", re.ASCII)
PLACEHOLDERS = frozenset({"", "NONREF", "NOTPROVIDED", "NOT PROVIDED", "NONE", "N/A", "NA"})


@dataclass(frozen=True)
class StatementLine:
    """One booked movement. ``amount_cents`` is signed: credits (money in) positive, debits negative.

    ``payer_name`` and ``payer_iban`` are the other party: the payer of a credit, the payee of a
    debit ("" when the bank does not say). ``remittance`` is the payer's text (camt ``Ustrd`` parts
    joined with a space, then the structured creditor reference), on one line. ``bank_reference`` is
    the bank's reference for the booking, else the payer's end-to-end reference ("" when neither).
    ``where`` names the line in its file for people (``statement 45/1, entry 3``)."""

    booking_date: date
    value_date: date
    amount_cents: int
    currency: str
    remittance: str
    payer_name: str
    payer_iban: str
    bank_reference: str
    key: str
    where: str

    @property
    def is_credit(self) -> bool:
        return self.amount_cents > 0


@dataclass(frozen=True)
class Statement:
    """One statement of one account (a file may hold several: one per day, or per account).
    ``format`` is ``camt.053.001.02`` (the message version read) or ``mt940``; balances are in cents,
    signed, ``None`` when the statement gives none."""

    source: str
    format: str
    account: str
    statement_id: str
    currency: str
    opening_cents: int | None
    closing_cents: int | None
    lines: tuple[StatementLine, ...]


@dataclass(frozen=True)
class KeyParts:
    """What a line's key is made of; ``servicer_ref`` is the account servicer's reference or ""."""

    booking_date: date
    amount_cents: int
    currency: str
    remittance: str
    payer_iban: str
    servicer_ref: str


def with_keys(drafts: Sequence[tuple[Statement, Sequence[str]]]) -> tuple[Statement, ...]:
    """A file's statements with their lines' keys, each statement given with the account servicer's
    reference of each line ("" if none); counted over the statements of each account together."""
    keys: dict[tuple[int, int], str] = {}
    for account in dict.fromkeys(statement.account for statement, _ in drafts):
        places = [
            (index, position)
            for index, (statement, _) in enumerate(drafts)
            if statement.account == account
            for position in range(len(statement.lines))
        ]
        parts = [_key_parts(drafts[index][0].lines[position], drafts[index][1][position]) for index, position in places]
        keys.update(zip(places, line_keys(account, parts), strict=True))
    return tuple(
        replace(
            statement,
            lines=tuple(replace(line, key=keys[index, position]) for position, line in enumerate(statement.lines)),
        )
        for index, (statement, _) in enumerate(drafts)
    )


def _key_parts(line: StatementLine, servicer_ref: str) -> KeyParts:
    return KeyParts(line.booking_date, line.amount_cents, line.currency, line.remittance, line.payer_iban, servicer_ref)


def line_keys(account: str, parts: Sequence[KeyParts]) -> list[str]:
    """The keys of one account's lines, in their order (see the module's text)."""
    shared = Counter(p.servicer_ref for p in parts if p.servicer_ref)
    seen: Counter[tuple[str, ...]] = Counter()
    keys = []
    for part in parts:
        if part.servicer_ref and shared[part.servicer_ref] == 1:
            keys.append(f"{account}/ref/{part.servicer_ref}")
            continue
        fields = (
            account,
            part.booking_date.isoformat(),
            str(part.amount_cents),
            part.currency,
            " ".join(part.remittance.split()).casefold(),
            part.payer_iban,
            part.servicer_ref,
        )
        position = seen[fields]
        seen[fields] += 1
        digest = hashlib.sha256("\x1f".join((*fields, str(position))).encode()).hexdigest()
        keys.append(f"{account}/sha/{digest[:32]}")
    return keys


def is_placeholder(reference: str) -> bool:
    """A reference field filled with "none given" (``NONREF``, ``NOTPROVIDED``) or left empty."""
    return reference.strip().upper() in PLACEHOLDERS


def decimal_to_cents(text: str) -> int | None:
    """``1220.50`` (or ``1220,50`` with the comma already turned into a point) as 122050 cents;
    ``None`` when it is not a plain non-negative number or has a fraction of a cent."""
    if not _DECIMAL.fullmatch(text):
        return None
    cents = Decimal(text) * 100
    if cents != cents.to_integral_value():
        return None
    return int(cents)


def one_line(text: str) -> str:
    """Text from a statement as one line: runs of spacing and line breaks become one space."""
    return " ".join(text.split())


def format_cents(cents: int) -> str:
    """``-1250`` as ``-12.50``: amounts in messages, written without floats."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
