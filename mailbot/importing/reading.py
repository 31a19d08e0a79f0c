"""Reading a CSV file into a header and numbered rows: UTF-8 with or without BOM, ``,`` or ``;``.

The delimiter is taken from the header line (Italian Excel writes ``;``). Column names are
matched case-insensitively. Line numbers are those of the file (a quoted cell spanning lines
moves the count on), so an error message points where a person looks in their editor.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass

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
    """The table in ``data``, and the errors of rows whose cell count does not match the header."""
    text = decode(data, source)
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise InputError(f"{source}: empty file or empty header line")
    delimiter = sniff_delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = tuple(name.strip().lower() for name in next(reader))
    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[RowError] = []
    last_line = reader.line_num
    for record in reader:
        line, last_line = last_line + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # blank line, or an Excel row of empty cells
        extra = record[len(columns) :]
        if len(record) < len(columns) or any(cell.strip() for cell in extra):
            errors.append(RowError(line, "-", f"expected {len(columns)} cells, found {len(record)}"))
            continue
        rows.append((line, dict(zip(columns, record, strict=False))))
    return Table(columns, tuple(rows), delimiter), errors


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
