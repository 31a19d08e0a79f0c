"""Numbers per year without gaps (orders, invoices): the next one, from the year's counter row locked until
the transaction ends, so a rolled-back transaction gives its number back.

PostgreSQL: ``SELECT ... FOR UPDATE`` serialises the increments; a missing year row is inserted in a
savepoint, and the loser of a concurrent insert simply reads the winner's row. SQLite: every write
transaction starts with BEGIN IMMEDIATE, so writers are already serial.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailbot.db.models import InvoiceCounter, OrderCounter

Counter = TypeVar("Counter", OrderCounter, InvoiceCounter)


def next_in_year(session: Session, counter_model: type[Counter], year: int) -> int:
    """The next number of ``year`` in the counter table ``counter_model`` (1 for the year's first)."""
    query = (
        select(counter_model)
        .where(counter_model.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    counter = session.scalar(query)
    if counter is None:
        try:
            with session.begin_nested():
                session.add(counter_model(year=year, last=0))
        except IntegrityError:
            pass  # another transaction created it first; its row is read (and locked) below
        counter = session.scalars(query).one()
    counter.last += 1
    session.flush()
    return counter.last
