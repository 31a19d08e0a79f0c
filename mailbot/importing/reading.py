"""Reading a CSV file into a header and numbered rows: UTF-8 with or without BOM, ``,`` or ``;``.

The delimiter is taken from the header line (Italian Excel writes ``;``). Column names are
matched case-insensitively. Line numbers are those of the file (a quoted cell spanning lines
moves the count on), so an error message points where a person looks in their editor.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from mailbot.errors import InputError
from mailbot.importing.rows import RowError


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]  # (line number, cells by column)
    delimiter: str


def decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{source}: line {line}: not UTF-8 (save the file as 'CSV UTF-8')") from None


def sniff_delimiter(header: str) -> str:
    return ";" if header.count(";") > header.count(",") else ","


def read_table(data: bytes, source: str) -> tuple[Table, list[RowError]]:
    """The table in ``data``, and the errors of rows whose cell count does not match the header, that hold
    a NUL, or that the csv module cannot read (a cell over its limit: the reading stops there)."""
    text = decode(data, source)
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise InputError(f"{source}: empty file or empty header line")
    delimiter = sniff_delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[RowError] = []
    records = _records(reader, errors)
    header = next(records, None)
    if header is None:
        return Table((), (), delimiter), errors
    columns = tuple(name.strip().lower() for name in header[1])
    errors += _nul_errors(1, columns, columns)
    for line, record in records:
        if not any(cell.strip() for cell in record):
            continue  # blank line, or an Excel row of empty cells
        extra = record[len(columns) :]
        if len(record) < len(columns) or any(cell.strip() for cell in extra):
            errors.append(RowError(line, "-", f"expected {len(columns)} cells, found {len(record)}"))
            continue
        nul = _nul_errors(line, columns, record)
        if nul:
            errors += nul
            continue
        rows.append((line, dict(zip(columns, record, strict=False))))
    return Table(columns, tuple(rows), delimiter), errors


def _records(reader: Any, errors: list[RowError]) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of each record; a record the csv module refuses (a cell over its limit of
    ``csv.field_size_limit()`` characters) is an error on its line, and the reading stops there."""
    last_line = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            limit = csv.field_size_limit()
            reason = f"a cell longer than {limit} characters" if "field limit" in str(exc) else f"unreadable: {exc}"
            errors.append(RowError(reader.line_num, "-", f"{reason}; the rest of the file was not read"))
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
