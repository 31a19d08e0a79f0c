"""CSV import of products, customers and services: all rows or nothing, upserted by key.

Files are UTF-8 (with or without BOM) with a header line; the delimiter is ``,`` or ``;``
(found from the header). Column names are case-insensitive; an unknown, repeated or missing
required column is an error naming it. Optional columns may be left out of the file: new
records then get the default, existing records keep their value. An empty cell means the default.

products (key ``code``)
    code*, name*, price* (euros: ``120,00`` or ``120.00``), cadence (annual|monthly; default
    annual; the price is per month for monthly plans), max_years (1-10, default 10), promo
    (default false; promotional products renew for 1 or 2 years), bank_transfer_fee (euros,
    default 0), storage_quota_mb (default 0), reactivation_from (expiry|payment: where a
    reactivation counts its years from; default expiry).
customers (key ``external_id``)
    external_id*, kind* (private|company|pa), name*, email* (normalised), language (it|en,
    default general.language), vat_number (partita IVA), fiscal_code (16 characters, or 11
    digits for entities), pec, recipient_code (7 characters for private and company customers,
    the 6-character office code for a pa), split_payment (true/false, si/no, 1/0; default true
    for pa, false otherwise); the billing address the invoice carries: street, postcode (5 digits
    in Italy), city, province (2 letters), country (2 letters, default IT).
services (key ``external_id``; import products and customers first)
    external_id*, customer_external_id*, product_code*, label*, username*, expires_on*
    (YYYY-MM-DD or DD/MM/YYYY), autorenew (default false; only with card or paypal),
    payment_method (card|paypal|bank_transfer|postal_slip|none; default none), card_expiry
    (MM/YYYY), storage_quota_mb (default: the product's), storage_used_mb (default 0),
    started_on (date), status (active|suspended|cancelled; default active).

(* required.) A file with any bad row imports nothing: every bad row is reported with its line,
column and reason, its format and its references alike. A good file reports how many records were
created, updated and unchanged and writes one audit event. See docs/import.md for example files.

The file is read as a stream, ``CHUNK`` rows at a time: each chunk is checked (the rows parsed, their
keys and references looked up) and, while no row so far was bad, written, all in one savepoint that
a bad row anywhere rolls back. What outlives a chunk is in the database, not in memory, so memory
does not grow with the file.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import IO

from sqlalchemy.orm import Session

from mailbot import audit
from mailbot.config import Config
from mailbot.db.models import Customer, Product, Service
from mailbot.domain import AuditEntry
from mailbot.importing.lookups import KEY_LENGTH, References, SeenKeys, find_references
from mailbot.importing.reading import Record, Table, check_columns, open_table
from mailbot.importing.rows import (
    RowError,
    parse_customer_row,
    parse_product_row,
    parse_service_row,
)
from mailbot.importing.writing import Counts, Model, Row, Target, write_rows

KINDS = ("products", "customers", "services")
REQUIRED = {
    "products": ("code", "name", "price"),
    "customers": ("external_id", "kind", "name", "email"),
    "services": ("external_id", "customer_external_id", "product_code", "label", "username", "expires_on"),
}
OPTIONAL = {
    "products": ("cadence", "max_years", "promo", "bank_transfer_fee", "storage_quota_mb", "reactivation_from"),
    "customers": (
        "language",
        "vat_number",
        "fiscal_code",
        "pec",
        "recipient_code",
        "split_payment",
        "street",
        "postcode",
        "city",
        "province",
        "country",
    ),
    "services": (
        "autorenew",
        "payment_method",
        "card_expiry",
        "storage_quota_mb",
        "storage_used_mb",
        "started_on",
        "status",
    ),
}
# Column name -> model attribute, where they differ.
ATTRIBUTES = {
    "price": "price_cents",
    "bank_transfer_fee": "bank_transfer_fee_cents",
    "card_expiry": "card_expires",
    "customer_external_id": "customer_id",
    "product_code": "product_id",
}
MODELS: dict[str, Model] = {"products": Product, "customers": Customer, "services": Service}
CHUNK = 2000  # rows checked and written together (SQLite takes 32,766 parameters in an IN list)
NO_REFERENCES = References({}, {})

Parser = Callable[[dict[str, str], int], Row | list[RowError]]


@dataclass
class ImportReport:
    kind: str
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, counts: Counts) -> None:
        self.created += counts.created
        self.updated += counts.updated
        self.unchanged += counts.unchanged


@dataclass(frozen=True)
class CsvFile:
    """A CSV file to import: what it holds (``KINDS``), where it came from (named in errors and the audit
    event) and its bytes, or a binary file read as a stream."""

    kind: str
    source: str
    data: bytes | IO[bytes] = field(repr=False)


def import_csv(session: Session, csv_file: CsvFile, *, config: Config, now: datetime, actor: str) -> ImportReport:
    """Check every row of ``csv_file``; write them all (and one audit event) only if none is bad."""
    kind, source, data = csv_file.kind, csv_file.source, csv_file.data
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    report = ImportReport(kind, source)
    table = open_table(io.BytesIO(data) if isinstance(data, bytes) else data, source)
    report.errors = table.header_errors + check_columns(table.columns, REQUIRED[kind], OPTIONAL[kind])
    if report.errors:
        return report  # with the header wrong, the cells cannot be trusted to be in their columns
    savepoint = session.begin_nested()  # what the chunks wrote is undone by a bad row in a later one
    try:
        rows = _check_and_write(session, kind, table, config, now, report)
    except BaseException:  # a line not UTF-8, the database gone: nothing stays, whatever the caller does
        savepoint.rollback()
        raise
    if report.errors:
        savepoint.rollback()
        return report
    audit.record(
        session,
        AuditEntry(
            f"import.{kind}",
            "import",
            source[-64:],
            {
                "sha256": table.sha256(),
                "rows": rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            },
        ),
        actor=actor,
        now=now,
    )
    savepoint.commit()
    session.flush()
    return report


def _check_and_write(
    session: Session, kind: str, table: Table, config: Config, now: datetime, report: ImportReport
) -> int:
    """Check the rows of ``table`` a chunk at a time, adding their errors to ``report``; while none is
    bad, write each chunk and count it in ``report``. The number of rows written."""
    key = "code" if kind == "products" else "external_id"
    target = Target(MODELS[kind], key, frozenset(ATTRIBUTES.get(c, c) for c in table.columns))
    order = {name: i for i, name in enumerate(table.columns)}
    parse = _parser(kind, config)
    seen = SeenKeys(session)
    rows = 0
    for chunk in _chunks(table.records, CHUNK):
        good, refs, errors = _check(session, kind, key, chunk, parse, seen)
        report.errors += sorted(errors, key=lambda e: (e.line, order.get(e.column, -1)))
        if not report.errors:  # after a bad row nothing more is written: it will all be rolled back
            report.add(write_rows(session, target, good, refs, now))
            rows += len(good)
    seen.drop()
    return rows


def _check(
    session: Session, kind: str, key: str, chunk: list[Record], parse: Parser, seen: SeenKeys
) -> tuple[list[Row], References, list[RowError]]:
    """The good rows of a chunk, the records they name, and the errors of the bad ones. The checks
    across rows read the cells, not the parsed rows: a bad row's key and references are checked too."""
    good: list[Row] = []
    errors: list[RowError] = []
    cells_of: list[tuple[int, dict[str, str]]] = []
    for line, cells in chunk:
        if isinstance(cells, list):
            errors += cells
            continue
        cells_of.append((line, cells))
        parsed = parse(cells, line)
        if isinstance(parsed, list):
            errors += parsed
        else:
            good.append(parsed)
    errors += seen.repeated([(line, _cell(cells, key)) for line, cells in cells_of], key)
    refs = NO_REFERENCES
    if kind == "services":
        wanted = [(line, _cell(c, "customer_external_id"), _cell(c, "product_code")) for line, c in cells_of]
        refs, ref_errors = find_references(session, wanted)
        errors += ref_errors
    return good, refs, errors


def _cell(cells: dict[str, str], column: str) -> str:
    """A key or reference as the row parsers read it (empty, or too long: the parser reports it)."""
    value = cells.get(column, "").strip()
    return value if len(value) <= KEY_LENGTH else ""


def _parser(kind: str, config: Config) -> Parser:
    if kind == "customers":
        return lambda cells, line: parse_customer_row(cells, line, default_language=config.general.language)
    return parse_product_row if kind == "products" else parse_service_row


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk
