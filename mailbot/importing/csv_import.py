"""CSV import of products, customers and services: all rows or nothing, upserted by key.

Files are UTF-8 (with or without BOM) with a header line; the delimiter is ``,`` or ``;``
(found from the header). Column names are case-insensitive; an unknown, repeated or missing
required column is an error naming it. Optional columns may be left out of the file: new
records then get the default, existing records keep their value. An empty cell means the default.

products (key ``code``)
    code*, name*, price* (euros: ``120,00`` or ``120.00``), cadence (annual|monthly; default
    annual; the price is per month for monthly plans), max_years (1-10, default 10), promo
    (default false; promotional products renew for 1 or 2 years), bank_transfer_fee (euros,
    default 0), storage_quota_mb (default 0).
customers (key ``external_id``)
    external_id*, kind* (private|company|pa), name*, email* (normalised), language (it|en,
    default general.language), vat_number (partita IVA), fiscal_code (16 characters, or 11
    digits for entities), pec, recipient_code (7 characters for private and company customers,
    the 6-character office code for a pa), split_payment (true/false, si/no, 1/0; default true
    for pa, false otherwise).
services (key ``external_id``; import products and customers first)
    external_id*, customer_external_id*, product_code*, label*, username*, expires_on*
    (YYYY-MM-DD or DD/MM/YYYY), autorenew (default false; only with card or paypal),
    payment_method (card|paypal|bank_transfer|postal_slip|none; default none), card_expiry
    (MM/YYYY), storage_quota_mb (default: the product's), storage_used_mb (default 0),
    started_on (date), status (active|suspended|cancelled; default active).

(* required.) A file with any bad row imports nothing: every bad row is reported with its line,
column and reason. A good file reports how many records were created, updated and unchanged and
writes one audit event. See docs/import.md for example files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot import audit
from mailbot.config import Config
from mailbot.db.models import Customer, Product, Service
from mailbot.importing.reading import check_columns, read_table
from mailbot.importing.rows import (
    CustomerRow,
    ProductRow,
    RowError,
    ServiceRow,
    parse_customer_row,
    parse_product_row,
    parse_service_row,
    row_key,
)

KINDS = ("products", "customers", "services")
REQUIRED = {
    "products": ("code", "name", "price"),
    "customers": ("external_id", "kind", "name", "email"),
    "services": ("external_id", "customer_external_id", "product_code", "label", "username", "expires_on"),
}
OPTIONAL = {
    "products": ("cadence", "max_years", "promo", "bank_transfer_fee", "storage_quota_mb"),
    "customers": ("language", "vat_number", "fiscal_code", "pec", "recipient_code", "split_payment"),
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
CHUNK = 500

Row = ProductRow | CustomerRow | ServiceRow


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


def import_csv(
    session: Session, kind: str, data: bytes, *, source: str, config: Config, now: datetime, actor: str
) -> ImportReport:
    """Validate every row of ``data``; write them all (and one audit event) only if none is bad."""
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    report = ImportReport(kind, source)
    table, report.errors = read_table(data, source)
    report.errors[:0] = check_columns(table.columns, REQUIRED[kind], OPTIONAL[kind])
    if any(e.line == 1 for e in report.errors):
        return report
    parser = _parser(kind, config)
    rows: list[Row] = []
    for line, cells in table.rows:
        parsed = parser(cells, line)
        if isinstance(parsed, list):
            report.errors.extend(parsed)
        else:
            rows.append(parsed)
    report.errors.extend(_duplicates(rows, "code" if kind == "products" else "external_id"))
    refs: dict[str, dict[str, int]] = {}
    if kind == "services":
        refs, ref_errors = _resolve_references(session, [r for r in rows if isinstance(r, ServiceRow)])
        report.errors.extend(ref_errors)
    if report.errors:
        report.errors.sort(key=lambda e: e.line)
        return report
    _upsert(session, ValidRows(kind, rows, set(table.columns), refs), report, now)
    audit.record(
        session,
        actor=actor,
        action=f"import.{kind}",
        entity="import",
        entity_id=source[-64:],
        now=now,
        details={
            "sha256": hashlib.sha256(data).hexdigest(),
            "rows": len(rows),
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
        },
    )
    session.flush()
    return report


def _parser(kind: str, config: Config) -> Callable[[dict[str, str], int], Row | list[RowError]]:
    if kind == "customers":
        return lambda cells, line: parse_customer_row(cells, line, default_language=config.general.language)
    return parse_product_row if kind == "products" else parse_service_row


def _duplicates(rows: Sequence[Row], column: str) -> list[RowError]:
    first: dict[str, int] = {}
    errors = []
    for row in rows:
        key = row_key(row)
        if key in first:
            errors.append(RowError(row.line, column, f"{key!r} already on line {first[key]}"))
        else:
            first[key] = row.line
    return errors


def _resolve_references(session: Session, rows: list[ServiceRow]) -> tuple[dict[str, dict[str, int]], list[RowError]]:
    customers = _ids(session, Customer.external_id, Customer.id, {r.customer_external_id for r in rows})
    products = _ids(session, Product.code, Product.id, {r.product_code for r in rows})
    errors = []
    for row in rows:
        if row.customer_external_id not in customers:
            errors.append(RowError(row.line, "customer_external_id", f"no customer {row.customer_external_id!r}"))
        if row.product_code not in products:
            errors.append(
                RowError(row.line, "product_code", f"no product {row.product_code!r} (import products first)")
            )
    return {"customer": customers, "product": products}, errors


def _ids(session: Session, key_col: Any, id_col: Any, keys: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ordered = sorted(keys)
    for i in range(0, len(ordered), CHUNK):
        rows = session.execute(select(key_col, id_col).where(key_col.in_(ordered[i : i + CHUNK])))
        found.update((str(key), int(id_)) for key, id_ in rows)
    return found


MODELS: dict[str, type[Product] | type[Customer] | type[Service]] = {
    "products": Product,
    "customers": Customer,
    "services": Service,
}


@dataclass(frozen=True)
class ValidRows:
    """A file's rows once every one is valid: what ``_upsert`` writes."""

    kind: str
    rows: Sequence[Row]
    columns: set[str]  # the file's columns: only those are updated on an existing record
    refs: dict[str, dict[str, int]]  # services: customer external id and product code -> database id


def _upsert(session: Session, valid: ValidRows, report: ImportReport, now: datetime) -> None:
    kind, rows, columns, refs = valid.kind, valid.rows, valid.columns, valid.refs
    model = MODELS[kind]
    key_attr = "code" if kind == "products" else "external_id"
    existing = _existing(session, model, key_attr, [row_key(r) for r in rows])
    quotas = _product_quotas(session) if kind == "services" else {}
    present = {ATTRIBUTES.get(c, c) for c in columns}
    for row in rows:
        values = _values(row, refs, quotas)
        record = existing.get(row_key(row))
        if record is None:
            session.add(model(**values, **({"created_at": now, "updated_at": now} if kind != "products" else {})))
            report.created += 1
            continue
        changes = {k: v for k, v in values.items() if k in present and getattr(record, k) != v}
        if not changes:
            report.unchanged += 1
            continue
        if "email" in changes:  # a new address deserves a new chance
            changes.update(email_undeliverable=False, undeliverable_reason=None)
        for name, value in changes.items():
            setattr(record, name, value)
        if kind != "products":
            record.updated_at = now  # type: ignore[union-attr]
        report.updated += 1


def _values(row: Row, refs: dict[str, dict[str, int]], quotas: dict[int, int]) -> dict[str, Any]:
    values = asdict(row)
    del values["line"]
    if isinstance(row, ServiceRow):
        values["customer_id"] = refs["customer"][values.pop("customer_external_id")]
        values["product_id"] = refs["product"][values.pop("product_code")]
        if values["storage_quota_mb"] is None:
            values["storage_quota_mb"] = quotas[values["product_id"]]
    return values


def _existing(session: Session, model: Any, key_attr: str, keys: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    column = getattr(model, key_attr)
    for i in range(0, len(keys), CHUNK):
        for record in session.scalars(select(model).where(column.in_(keys[i : i + CHUNK]))):
            found[getattr(record, key_attr)] = record
    return found


def _product_quotas(session: Session) -> dict[int, int]:
    return {pid: quota for pid, quota in session.execute(select(Product.id, Product.storage_quota_mb))}
