"""Rows held back from the ORM and inserted together: what a batch in one transaction writes a lot of.

Inside ``held(session, Model, ...)`` the code that knows how (``audit.record``, ``tickets_open.open_ticket``
with ids taken up front, ``store.store_attachments``) calls ``add_row`` with a row's values instead of
adding an ORM object; when the block ends without an error, each model's rows go in with one
multi-row INSERT, in the order the models were given, in the caller's transaction. A value None is
written as NULL (a column's default applies only where the key is left out). The same rows, without
the unit of work's bookkeeping for each one. A block that raises inserts nothing (the caller's
transaction rolls back anyway); a nested block leaves the inserting to the outer one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

_KEY = "mailbot.held_rows"  # session.info: model -> the rows held


def add_row(session: Session, model: type[Any], values: dict[str, Any]) -> None:
    """A new row of ``model``: held when a ``held`` block for it is open, else added to the session
    as an object (inserted at its next flush)."""
    rows: dict[type[Any], list[dict[str, Any]]] | None = session.info.get(_KEY)
    if rows is not None and model in rows:
        rows[model].append(values)
    else:
        session.add(model(**values))


@contextmanager
def held(session: Session, *models: type[Any]) -> Iterator[None]:
    if session.info.get(_KEY) is not None:  # already holding: the outer block inserts
        yield
        return
    rows: dict[type[Any], list[dict[str, Any]]] = {model: [] for model in models}
    session.info[_KEY] = rows
    try:
        yield
    finally:
        del session.info[_KEY]
    for model in models:
        if rows[model]:
            # render_nulls: a None is written as NULL like any value. Without it the ORM leaves the
            # column out of that row's INSERT, and rows with and without a value go in by separate
            # statements, one per run of alike rows: 1,834 INSERTs for a bench's 4,538 tickets.
            session.execute(insert(model).execution_options(render_nulls=True), rows[model])
