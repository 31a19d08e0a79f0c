"""SWIFT MT940 customer statements read into ``Statement`` values.

A file holds one or more statements, each opened by ``:20:``, optionally inside SWIFT envelopes
(``{1:...}{2:...}{4:`` ... ``-}``). Per statement: ``:25:`` the account, ``:28C:`` its number,
``:60F:``/``:60M:`` the opening balance, then each movement as a ``:61:`` line with its ``:86:``
details, and ``:62F:``/``:62M:`` the closing balance. The movements must lead from the opening to
the closing balance: a file cut short, or with an amount altered, fails naming its line. Every field
must be read as its format says; nothing is skipped in silence.

``:86:`` comes in two styles:
- German (Deutsche Kreditwirtschaft): ``166?00SEPA-GUTSCHRIFT?20EREF+...?21SVWZ+text?31IBAN?32name``,
  subfields cut every 27 characters; the payer's name and IBAN are read from ``?32``/``?33`` and
  ``?31``, the remittance from ``SVWZ+`` (else from all of ``?20``-``?29``, ``?60``-``?63``).
- Free text, as Italian banks send it (``BONIFICO A VOSTRO FAVORE ... CAUSALE: ...``): the whole text
  is the remittance, its lines joined with nothing after a full 65-character line (the bank cut a word)
  and with a space after a shorter one; the payer is not read from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from stdnum import iban as stdnum_iban

from mailbot.billing.statements.values import (
    Statement,
    StatementLine,
    decimal_to_cents,
    format_cents,
    is_placeholder,
    one_line,
    with_keys,
)
from mailbot.errors import InputError
from mailbot.text import visible

LINE_WIDTH = 65  # SWIFT's line length for :86:
_KNOWN_TAGS = frozenset({"20", "21", "25", "28", "28C", "60F", "60M", "61", "62F", "62M", "64", "65", "86", "13D"})
_TAG = re.compile(r":(\d{2}[A-Z]?):(.*)")
_BALANCE = re.compile(r"(?P<mark>[CD])(?P<date>\d{6})(?P<currency>[A-Z]{3})(?P<amount>\d{1,15},\d{0,2})")
_STATEMENT_LINE = re.compile(
    r"""(?P<value>\d{6})(?P<entry>\d{4})?
    (?P<mark>RC|RD|C|D)(?P<funds>[A-Z])?
    (?P<amount>\d{1,15},\d{0,2})
    (?P<type>[NSF][A-Z0-9]{3})
    (?P<customer>.*?)(?://(?P<bank>.*))?""",
    re.VERBOSE,
)
_SIGNS = {"C": 1, "RD": 1, "D": -1, "RC": -1}  # RD: a debit reversed, money back in
_GERMAN = re.compile(r"(?:\d{3})?\?\d{2}")
_SEPA_TAG = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE)\+")
_PURPOSE_SUBFIELDS = (*(f"{n}" for n in range(20, 30)), "60", "61", "62", "63")


@dataclass(frozen=True)
class _Field:
    tag: str
    value: str
    line: int


@dataclass(frozen=True)
class _Details:
    remittance: str
    payer_name: str
    payer_iban: str
    end_to_end: str


def parse_mt940(data: bytes, name: str) -> tuple[Statement, ...]:
    """Every statement of an MT940 file; ``InputError`` naming ``name``, the line and the field."""
    blocks = _blocks(_fields(_decode(data), name), name)
    if not blocks:
        raise InputError(f"{name}: no MT940 statement (:20:) in the file")
    return with_keys([_statement(block, name) for block in blocks])


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _fields(text: str, name: str) -> list[_Field]:
    """The fields in file order, continuation lines kept after ``\\n``; ``-`` ends a message."""
    fields: list[_Field] = []
    for number, raw in enumerate(re.split(r"\r\n|\r|\n", text), 1):  # not splitlines: NEL or FF is text
        line = raw.rstrip()
        if line.startswith("{"):  # SWIFT envelope: the text block opens after {4:
            line = line.partition("{4:")[2]
        match = _TAG.match(line)
        if _is_message_end(line):
            fields.append(_Field("-", "", number))
        elif match and match.group(1) in _KNOWN_TAGS:
            fields.append(_Field(match.group(1), match.group(2), number))
        elif not line.strip():
            continue
        elif fields and fields[-1].tag != "-":
            last = fields[-1]
            fields[-1] = _Field(last.tag, f"{last.value}\n{line}", last.line)
        else:
            raise InputError(f"{name}: line {number}: text outside any field: '{visible(line[:40])}'")
    return fields


def _is_message_end(line: str) -> bool:
    """``-`` (a file of bare messages) or ``-}`` (the end of the SWIFT text block, a trailer may follow)."""
    return line.startswith("-}") or (line != "" and set(line) == {"-"})


def _blocks(fields: list[_Field], name: str) -> list[list[_Field]]:
    blocks: list[list[_Field]] = []
    current: list[_Field] | None = None
    for field in fields:
        if field.tag == "20":
            current = [field]
            blocks.append(current)
        elif field.tag == "-":
            current = None
        elif current is None:
            raise InputError(f"{name}: line {field.line}: :{field.tag}: comes before any statement's :20:")
        else:
            current.append(field)
    return blocks


def _statement(block: list[_Field], name: str) -> tuple[Statement, list[str]]:
    """The statement, its lines without their keys yet, and the bank reference of each."""
    reference = one_line(block[0].value)
    place = f"{name}: statement {visible(reference)} (line {block[0].line})"
    account_field = _one(block, ("25",))
    opening_field = _one(block, ("60F", "60M"))
    closing_field = _one(block, ("62F", "62M"))
    if account_field is None:
        raise InputError(f"{place}: no account (:25:)")
    if opening_field is None:
        raise InputError(f"{place}: no opening balance (:60F:)")
    if closing_field is None:
        raise InputError(f"{place}: no closing balance (:62F:): the file may be cut short")
    opening, currency = _balance(opening_field, name)
    closing, closing_currency = _balance(closing_field, name)
    if closing_currency != currency:
        raise InputError(f"{name}: line {closing_field.line}: closing balance in {closing_currency}, not {currency}")
    sequence = _one(block, ("28C", "28"))
    statement_id = f"{reference} {one_line(sequence.value)}" if sequence else reference
    account = _account(account_field.value)
    drafts = _movements(block, closing_field, currency, name, statement_id)
    total = sum(line.amount_cents for line, _ in drafts)
    if opening + total != closing:
        raise InputError(
            f"{place}: the :61: lines add up to {format_cents(total)}, but the balance goes from "
            f"{format_cents(opening)} (:60F:) to {format_cents(closing)} (:62F:, line {closing_field.line})"
        )
    lines = tuple(line for line, _ in drafts)
    statement = Statement(name, "mt940", account, statement_id, currency, opening, closing, lines)
    return statement, [ref for _, ref in drafts]


def _movements(
    block: list[_Field], closing: _Field, currency: str, name: str, statement_id: str
) -> list[tuple[StatementLine, str]]:
    """Each ``:61:`` with the ``:86:`` right after it, and its bank reference for the key."""
    drafts = []
    for index, field in enumerate(block):
        if field.tag != "61":
            continue
        if field.line > closing.line:
            raise InputError(f"{name}: line {field.line}: :61: after the closing balance (:62F:)")
        following = block[index + 1] if index + 1 < len(block) else None
        details = following.value if following is not None and following.tag == "86" else ""
        drafts.append(_movement(field, details, currency, name, f"statement {statement_id}, line {field.line}"))
    return drafts


def _movement(field: _Field, details: str, currency: str, name: str, where: str) -> tuple[StatementLine, str]:
    first_line = field.value.split("\n", 1)[0].strip()
    match = _STATEMENT_LINE.fullmatch(first_line)
    if match is None:
        raise InputError(f"{name}: line {field.line}: :61: statement line not understood: '{visible(first_line)}'")
    cents = decimal_to_cents(match.group("amount").replace(",", "."))
    if cents is None:
        raise InputError(f"{name}: line {field.line}: :61: amount {match.group('amount')!r} not understood")
    value_date = _yymmdd(match.group("value"), field, name)
    booking_date = _entry_date(match.group("entry"), value_date, field, name)
    bank_ref = "" if is_placeholder(match.group("bank") or "") else one_line(match.group("bank") or "")
    customer_ref = "" if is_placeholder(match.group("customer")) else one_line(match.group("customer"))
    read = _details(details)
    line = StatementLine(
        booking_date=booking_date,
        value_date=value_date,
        amount_cents=cents * _SIGNS[match.group("mark")],
        currency=currency,
        remittance=read.remittance,
        payer_name=read.payer_name,
        payer_iban=read.payer_iban,
        bank_reference=bank_ref or read.end_to_end or customer_ref,
        key="",
        where=where,
    )
    return line, bank_ref


def _details(text: str) -> _Details:
    """The ``:86:`` text read in the German structured style or as free text (see the module)."""
    compact = "".join(text.split("\n"))
    if not _GERMAN.match(compact):
        return _Details(_free_text(text), "", "", "")
    subfields: dict[str, list[str]] = {}
    pieces = re.split(r"\?(\d{2})", compact)
    for code, value in zip(pieces[1::2], pieces[2::2], strict=True):
        subfields.setdefault(code, []).append(value)
    purpose = "".join(v for code in _PURPOSE_SUBFIELDS for v in subfields.get(code, []))
    tagged = dict(_sepa_parts(purpose))
    remittance = tagged.get("SVWZ") or purpose
    payer = "".join(subfields.get("32", []) + subfields.get("33", []))
    payer_iban = one_line("".join(subfields.get("31", []))).replace(" ", "").upper()
    end_to_end = "" if is_placeholder(tagged.get("EREF", "")) else one_line(tagged.get("EREF", ""))
    return _Details(one_line(remittance), one_line(payer), payer_iban, end_to_end)


def _sepa_parts(purpose: str) -> list[tuple[str, str]]:
    """``EREF+x SVWZ+y`` as ``[("EREF", "x"), ("SVWZ", "y")]``; text before the first tag is dropped."""
    pieces = _SEPA_TAG.split(purpose)
    return [(tag, value.strip()) for tag, value in zip(pieces[1::2], pieces[2::2], strict=True)]


def _free_text(text: str) -> str:
    lines = text.split("\n")
    widths = [len(lines[0]) + len(":86:"), *(len(line) for line in lines[1:])]
    joined = lines[0]
    for width, line in zip(widths, lines[1:], strict=False):
        joined += ("" if width >= LINE_WIDTH else " ") + line
    return one_line(joined)


def _one(block: list[_Field], tags: tuple[str, ...]) -> _Field | None:
    return next((field for field in block if field.tag in tags), None)


def _balance(field: _Field, name: str) -> tuple[int, str]:
    match = _BALANCE.fullmatch(field.value.strip())
    cents = decimal_to_cents(match.group("amount").replace(",", ".")) if match else None
    if match is None or cents is None:
        raise InputError(f"{name}: line {field.line}: :{field.tag}: balance not understood: '{visible(field.value)}'")
    _yymmdd(match.group("date"), field, name)
    return cents * (1 if match.group("mark") == "C" else -1), match.group("currency")


def _account(value: str) -> str:
    """``:25:`` as an IBAN when it holds one (``/IT60X...``, ``IT60X...EUR``), else as written."""
    compact = one_line(value).replace(" ", "").lstrip("/").upper()
    for candidate in (compact, compact[:-3]):
        if stdnum_iban.is_valid(candidate):
            return candidate
    return compact


def _yymmdd(text: str, field: _Field, name: str) -> date:
    try:
        return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))
    except ValueError:
        raise InputError(f"{name}: line {field.line}: :{field.tag}: {text!r} is not a date YYMMDD") from None


def _entry_date(text: str | None, value_date: date, field: _Field, name: str) -> date:
    """The booking date ``MMDD`` in the year that puts it nearest the value date (a booking on 31
    December may have its value on 2 January); the value date when the bank gives none."""
    if not text:
        return value_date
    candidates = []
    for year in (value_date.year - 1, value_date.year, value_date.year + 1):
        try:
            candidates.append(date(year, int(text[:2]), int(text[2:])))
        except ValueError:
            continue
    if not candidates:
        raise InputError(f"{name}: line {field.line}: :61: booking date {text!r} is not a date MMDD")
    return min(candidates, key=lambda day: abs((day - value_date).days))
