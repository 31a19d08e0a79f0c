"""Writing a chunk of good rows: one query for the records they update, then bulk INSERTs and UPDATEs.

No ORM objects are made (none stays in the session to grow with the file): the stored values are read
as plain rows and compared with the file's, and only the columns that the file has and that changed
are written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from mailbot.db.models import Customer, Product, Service
from mailbot.importing.lookups import References
from mailbot.importing.rows import CustomerRow, ProductRow, ServiceRow, row_key

Row = ProductRow | CustomerRow | ServiceRow
Model = type[Product] | type[Customer] | type[Service]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class Target:
    """Where rows go: the model, the attribute they are matched by, and the attributes the file has
    (an attribute it lacks keeps its stored value)."""

    model: Model
    key: str
    present: frozenset[str]

    @property
    def stamped(self) -> bool:
        """Whether records have ``created_at`` and ``updated_at`` (products have not)."""
        return self.model is not Product


def write_rows(session: Session, target: Target, rows: Sequence[Row], refs: References, now: datetime) -> Counts:
    """Create the rows' records that do not exist, update those that differ; how many of each."""
    counts = Counts()
    stored = _stored(session, target, [row_key(r) for r in rows])
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in rows:
        values = _values(row, refs)
        old = stored.get(row_key(row))
        if old is None:
            inserts.append(values | ({"created_at": now, "updated_at": now} if target.stamped else {}))
            continue
        changes = {k: v for k, v in values.items() if k in target.present and old[k] != v}
        if not changes:
            counts.unchanged += 1
            continue
        if "email" in changes:  # a new address deserves a new chance
            changes.update(email_undeliverable=False, undeliverable_reason=None)
        updates.append({"id": old["id"], **changes} | ({"updated_at": now} if target.stamped else {}))
    table = cast(Table, target.model.__table__)
    if inserts:  # Core, one executemany: the ORM's bulk INSERT splits at each change of which values are None
        session.execute(insert(table), inserts)
    for changed in _by_columns(updates):  # the ORM's UPDATE by primary key, one executemany per set of columns
        session.execute(update(target.model), changed)
    counts.created, counts.updated = len(inserts), len(updates)
    return counts


def _by_columns(updates: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The updates grouped by the columns they set, one executemany each."""
    groups: dict[frozenset[str], list[dict[str, Any]]] = {}
    for values in updates:
        groups.setdefault(frozenset(values), []).append(values)
    return list(groups.values())


def _stored(session: Session, target: Target, keys: list[str]) -> dict[str, Any]:
    """The stored values of the records with these keys, by key: id and the attributes the file has."""
    columns = [target.model.id, *(getattr(target.model, name) for name in sorted(target.present))]
    query = select(*columns).where(getattr(target.model, target.key).in_(keys))
    return {row[target.key]: row for row in session.execute(query).mappings()}


def _values(row: Row, refs: References) -> dict[str, Any]:
    values = dict(vars(row))
    del values["line"]
    if isinstance(row, ServiceRow):
        del values["customer_external_id"], values["product_code"]
        values["customer_id"] = refs.customers[row.customer_external_id]
        values["product_id"], quota = refs.products[row.product_code]
        if values["storage_quota_mb"] is None:
            values["storage_quota_mb"] = quota
    return values
