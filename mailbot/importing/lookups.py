"""What an import checks against the database, a chunk of rows at a time: keys repeated in the file,
and the customers and products that services name.

Both answer from the database rather than from memory, so checking the last chunk of a file of a
million rows holds no more than checking the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import Session

from mailbot.db.models import Customer, Product
from mailbot.importing.rows import RowError

KEY_LENGTH = 64  # of codes and external ids; a longer one is a bad cell (``rows``), never looked up

# The keys of the rows read so far, each with the line it was first on. Temporary: each connection
# has its own, dropped at the end of the import (or by the rollback of a bad file).
_seen = Table(
    "import_seen_key",
    MetaData(),
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("line", Integer, nullable=False),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)


class SeenKeys:
    """Finds the keys a file repeats: ``repeated`` is called with each chunk's keys in file order."""

    def __init__(self, session: Session) -> None:
        self.session = session
        _seen.create(session.connection())

    def repeated(self, keys: Sequence[tuple[int, str]], column: str) -> list[RowError]:
        """An error for each (line, key) whose key came on an earlier line; empty keys are skipped."""
        wanted = {key for _, key in keys if key}
        first: dict[str, int] = {}
        if wanted:
            found = self.session.execute(select(_seen.c.key, _seen.c.line).where(_seen.c.key.in_(wanted)))
            first = {str(key): int(line) for key, line in found}
        new: dict[str, int] = {}
        errors = []
        for line, key in keys:
            if not key:
                continue
            if key in first:
                errors.append(RowError(line, column, f"{key!r} already on line {first[key]}"))
            else:
                first[key] = new[key] = line
        if new:
            self.session.execute(insert(_seen), [{"key": key, "line": line} for key, line in new.items()])
        return errors

    def drop(self) -> None:
        _seen.drop(self.session.connection())


@dataclass(frozen=True)
class References:
    """The records a chunk of services names: customer id by external id; product (id, quota) by code."""

    customers: dict[str, int]
    products: dict[str, tuple[int, int]]


def find_references(session: Session, wanted: Sequence[tuple[int, str, str]]) -> tuple[References, list[RowError]]:
    """For each (line, customer external id, product code), an error if either does not exist (an empty
    one is skipped: the row's parser reports it)."""
    customer_keys = {customer for _, customer, _ in wanted if customer}
    product_keys = {product for _, _, product in wanted if product}
    customers: dict[str, int] = {}
    products: dict[str, tuple[int, int]] = {}
    if customer_keys:
        found = session.execute(
            select(Customer.external_id, Customer.id).where(Customer.external_id.in_(customer_keys))
        )
        customers = {str(key): int(id_) for key, id_ in found}
    if product_keys:
        quotas = session.execute(
            select(Product.code, Product.id, Product.storage_quota_mb).where(Product.code.in_(product_keys))
        )
        products = {str(code): (int(id_), int(quota)) for code, id_, quota in quotas}
    errors = []
    for line, customer, product in wanted:
        if customer and customer not in customers:
            errors.append(RowError(line, "customer_external_id", f"no customer {customer!r}"))
        if product and product not in products:
            errors.append(RowError(line, "product_code", f"no product {product!r} (import products first)"))
    return References(customers, products), errors
