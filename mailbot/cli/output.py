"""What the command line prints, all of it through here: text from email reaches no terminal raw.

A command hands over *logical lines* (a table row, ``subject: ...``); each is printed with its hidden
characters made visible (``mailbot.text.visible``), so a line break inside a Subject shows as ``\\n``
instead of making a line of its own, and ESC, C1 or bidi sequences never reach the terminal.
JSON is printed by ``print_json``: still valid JSON, with the same characters escaped.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from mailbot.text import json_text, visible


def print_line(line: str = "", *, file: TextIO | None = None) -> None:
    """One logical line (any line break in it is data, shown as ``\\n``)."""
    print(visible(line), file=file or sys.stdout)


def print_lines(lines: Iterable[str], *, file: TextIO | None = None) -> None:
    for line in lines:
        print_line(line, file=file)


def print_error(line: str) -> None:
    """One line on standard error."""
    print_line(line, file=sys.stderr)


def print_json(value: Any, *, indent: int | None = 2) -> None:
    print(json_text(value, indent=indent))


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 ticket``, ``2 tickets``, ``0 tickets``; ``plural`` when adding an s is wrong (``addresses``)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def table_lines(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """A table with a header line: every cell made visible first, so that an escaped value keeps the
    columns aligned; the last column is not padded (it may be long: an error, a summary)."""
    cells = [[visible(str(c)) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [list(headers), *cells]]


def print_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    print_lines(table_lines(headers, rows))


def print_listing(
    records: Sequence[Any],
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    noun: str,
    *,
    as_json: bool,
    plural: str | None = None,
) -> None:
    """A list command's answer: ``records`` as JSON, or the table and its count (``3 tickets``)."""
    if as_json:
        print_json(list(records))
        return
    print_table(headers, rows)
    print_line(count(len(records), noun, plural))
