"""A throwaway database for the benchmarks: a SQLite file, or a schema of its own in PostgreSQL.

A PostgreSQL URL gets a fresh schema (``search_path`` set through the URL's ``options``), dropped with
everything in it afterwards, so a run never leaves tables in the database's ``public`` schema.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from mailbot.db.engine import make_engine


@contextmanager
def scratch_database(url: str | None, folder: Path, name: str) -> Iterator[str]:
    """SQLite ``folder/<name>.sqlite`` when ``url`` is empty; a fresh ``<name>_*`` schema for PostgreSQL;
    any other URL as given."""
    if not url:
        yield f"sqlite:///{folder / f'{name}.sqlite'}"
        return
    if not url.startswith(("postgresql", "postgres:")):
        yield url
        return
    schema = f"{name}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
