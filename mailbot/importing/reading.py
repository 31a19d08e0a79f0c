"""Reading a CSV file as a stream: its header, then one numbered record at a time.

UTF-8 with or without BOM, ``,`` or ``;``: the delimiter is taken from the header line (Italian
Excel writes ``;``). Column names are matched case-insensitively. Line numbers are those of the
file (a quoted cell spanning lines moves the count on), so an error message points where a person
looks in their editor. Nothing holds more than one record: the file is read as it is consumed, and
its SHA-256 is computed on the way.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import IO, Any

from mailbot.errors import InputError
from mailbot.importing.rows import RowError

# Longer than any row worth reading (14 cells of 200 characters, or one cell at the csv module's
# limit): the reading stops there rather than holding a file without line breaks in memory.
MAX_LINE_BYTES = 1 << 20
_LONE_CR = re.compile(r"(?<=\r)(?!\n)")  # a line break of its own (old Mac files), as open(newline="") splits

Record = tuple[int, dict[str, str] | list[RowError]]  # (first line, cells by column, or why it is bad)


class Lines:
    """The decoded lines of a binary stream, line ends kept (what ``csv.reader`` takes), hashed as read.

    A line that is not UTF-8 is an ``InputError`` naming it; a line over ``MAX_LINE_BYTES`` ends the
    reading, with ``error`` saying where."""

    def __init__(self, stream: IO[bytes], source: str) -> None:
        self.stream = stream
        self.source = source
        self.digest = hashlib.sha256()
        self.error: RowError | None = None

    def __iter__(self) -> Iterator[str]:
        encoding = "utf-8-sig"
        number = 0
        while raw := self.stream.readline(MAX_LINE_BYTES + 1):
            number += 1
            self.digest.update(raw)
            if len(raw) > MAX_LINE_BYTES:
                reason = f"a line longer than {MAX_LINE_BYTES} bytes; the rest of the file was not read"
                self.error = RowError(number, "-", reason)
                return
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                raise InputError(f"{self.source}: line {number}: not UTF-8 (save the file as 'CSV UTF-8')") from None
            encoding = "utf-8"
            if "\r" in text.rstrip("\r\n"):
                yield from (piece for piece in _LONE_CR.split(text) if piece)
            else:
                yield text


@dataclass
class Table:
    """A CSV file being read: its columns (lower-cased), its header's errors, then ``records``."""

    columns: tuple[str, ...]
    header_errors: list[RowError]
    records: Iterator[Record]
    lines: Lines

    def sha256(self) -> str:
        """The file's digest, once ``records`` has been read to the end."""
        return self.lines.digest.hexdigest()


def sniff_delimiter(header: str) -> str:
    return ";" if header.count(";") > header.count(",") else ","


def open_table(stream: IO[bytes], source: str) -> Table:
    """The header of the CSV file in ``stream``, and an iterator over its records: each the cells of a
    row, or the errors of a row whose cell count does not match the header, that holds a NUL, or that
    the csv module cannot read (a cell over its limit: the reading stops there)."""
    lines = Lines(stream, source)
    text = iter(lines)
    first = next(text, "")
    if lines.error is not None:  # the header line itself is too long
        return Table((), [lines.error], iter(()), lines)
    if not first.strip():
        raise InputError(f"{source}: empty file or empty header line")
    reader = csv.reader(chain([first], text), delimiter=sniff_delimiter(first))
    records = _records(reader, lines)
    _, header = next(records, (1, []))
    if isinstance(header, RowError):
        return Table((), [header], iter(()), lines)
    columns = tuple(name.strip().lower() for name in header)
    return Table(columns, _nul_errors(1, columns, columns), _rows(records, columns), lines)


def _rows(records: Iterator[tuple[int, list[str] | RowError]], columns: tuple[str, ...]) -> Iterator[Record]:
    for line, record in records:
        if isinstance(record, RowError):
            yield line, [record]
        elif not any(cell.strip() for cell in record):
            continue  # blank line, or an Excel row of empty cells
        elif len(record) < len(columns) or any(cell.strip() for cell in record[len(columns) :]):
            yield line, [RowError(line, "-", f"expected {len(columns)} cells, found {len(record)}")]
        elif nul := _nul_errors(line, columns, record):
            yield line, nul
        else:
            yield line, dict(zip(columns, record, strict=False))


def _records(reader: Any, lines: Lines) -> Iterator[tuple[int, list[str] | RowError]]:
    """(first line, cells) of each record; a record the csv module refuses (a cell over its limit of
    ``csv.field_size_limit()`` characters) or a line too long to read is an error on its line, and
    the reading stops there."""
    last_line = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            if lines.error is not None:
                yield lines.error.line, lines.error
            return
        except csv.Error as exc:
            limit = csv.field_size_limit()
            reason = f"a cell longer than {limit} characters" if "field limit" in str(exc) else f"unreadable: {exc}"
            yield reader.line_num, RowError(reader.line_num, "-", f"{reason}; the rest of the file was not read")
            return
        if lines.error is not None:  # the reader's last record was cut short by the line too long
            yield lines.error.line, lines.error
            return
        line, last_line = last_line + 1, reader.line_num
        yield line, record


def _nul_errors(line: int, columns: Sequence[str], cells: Sequence[str]) -> list[RowError]:
    """A NUL is no text (PostgreSQL refuses it, and nothing typed holds one): each cell holding one is an error."""
    return [
        RowError(line, columns[i] if i < len(columns) else "-", "holds a NUL character (\\x00)")
        for i, cell in enumerate(cells)
        if "\x00" in cell
    ]


def check_columns(columns: tuple[str, ...], required: Collection[str], optional: Collection[str]) -> list[RowError]:
    """One error per unknown, repeated or missing column, each naming it (line 1: the header)."""
    errors = []
    known = set(required) | set(optional)
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            errors.append(RowError(1, name or "(empty)", "column appears twice"))
        elif name not in known:
            errors.append(RowError(1, name or "(empty)", f"unknown column (known: {', '.join(sorted(known))})"))
        seen.add(name)
    errors.extend(RowError(1, name, "required column missing") for name in required if name not in seen)
    return errors
