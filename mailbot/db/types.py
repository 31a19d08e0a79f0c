"""Column types that make every text value storable on its way into the database (``mailbot.storable``).

Every text column of ``db.models`` is a ``StorableString(n)`` or a ``StorableText``: each value bound, in
rows, look-ups by value and bulk statements alike, has NUL and lone surrogates replaced and is cut to the
column's length (PostgreSQL refuses a longer one; SQLite would keep it), so no code path can forget it and
no value from an email can make a row unstorable. JSON documents get the same in the engine's JSON
serializer (``db.engine.json_dumps``).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import String, Text, TypeDecorator
from sqlalchemy.engine import Dialect

from mailbot.storable import storable


class StorableString(TypeDecorator[str]):
    """``String(length)`` whose values are made storable and cut to ``length`` on the way in."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        value = storable(value)
        length = cast(String, self.impl_instance).length
        return value[:length] if length is not None and len(value) > length else value


class StorableText(TypeDecorator[str]):
    """``Text`` whose values are made storable on the way in."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else storable(value)
