"""Bank statements (ISO 20022 camt.053 and SWIFT MT940) read into one kind of value, bytes in.

``parse_statements(data, name)`` tells the format by the content, not the file name: XML is
camt.053, a ``:20:`` field (bare or inside a SWIFT ``{1:...}{4:`` envelope) is MT940. ``name`` is
the file's name, used in every error: a bad file gives ``InputError`` naming it, the line or the
entry, and what is wrong.
"""

from __future__ import annotations

import re

from mailbot.billing.statements.camt053 import parse_camt053
from mailbot.billing.statements.mt940 import parse_mt940
from mailbot.billing.statements.values import Statement, StatementLine
from mailbot.errors import InputError

__all__ = ["Statement", "StatementLine", "detect_format", "parse_statement", "parse_statements"]

_MT940_START = re.compile(rb"(?:\{1:|:20:)")
_BOM = b"\xef\xbb\xbf"


def detect_format(data: bytes) -> str | None:
    """``camt.053`` for XML, ``mt940`` for SWIFT text, ``None`` for anything else."""
    head = data.removeprefix(_BOM).lstrip()
    if head.startswith(b"<"):
        return "camt.053"
    if _MT940_START.match(head):
        return "mt940"
    return None


def parse_statements(data: bytes, name: str) -> tuple[Statement, ...]:
    """Every statement in the file, in file order (an MT940 export often holds one per day)."""
    kind = detect_format(data)
    if kind == "camt.053":
        return parse_camt053(data, name)
    if kind == "mt940":
        return parse_mt940(data, name)
    if not data.strip():
        raise InputError(f"{name}: the file is empty")
    raise InputError(f"{name}: neither a camt.053 XML statement nor an MT940 statement (starting with :20:)")


def parse_statement(data: bytes, name: str) -> Statement:
    """The one statement of a file that holds exactly one."""
    statements = parse_statements(data, name)
    if len(statements) != 1:
        raise InputError(f"{name}: holds {len(statements)} statements, not one (read it with parse_statements)")
    return statements[0]
