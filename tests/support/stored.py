"""Everything the database holds, read every way a person or a program could: to look for what must
never be kept (a card number)."""

from __future__ import annotations

import email
import email.policy
import unicodedata
import zlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, LargeBinary, select

from mailbot.db.models import Base

IDENTIFIERS = frozenset({"message-id", "in-reply-to", "references"})


def digits_of(text: str) -> str:
    return "".join(str(unicodedata.decimal(c)) for c in unicodedata.normalize("NFKC", text) if c.isdecimal())


def readings_of_raw(raw: bytes) -> Iterator[str]:
    """The raw message as written, and each of its parts as a MIME reader decodes it."""
    yield raw.decode("latin-1")
    yield raw.decode("utf-8", "replace")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    for part in parsed.walk():
        for name, value in part.items():
            if not (part is parsed and name.lower() in IDENTIFIERS):
                yield str(value)
        yield from (part.preamble or "", part.epilogue or "", str(part.get_filename() or ""))
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            yield from (payload.decode("utf-8", "replace"), payload.decode("latin-1"))
        elif isinstance(text := part.get_payload(), str):
            yield text


def stored_readings(engine: Engine) -> Iterator[tuple[str, str]]:
    """(where, text) for every value of every row of every table."""
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for column, value in zip(table.columns, row, strict=True):
                    where = f"{table.name}.{column.name}"
                    if isinstance(column.type, LargeBinary) and value is not None:
                        data = zlib.decompress(value) if column.name == "raw_compressed" else bytes(value)
                        yield from ((where, text) for text in readings_of_raw(data))
                    else:
                        yield from ((where, text) for text in _texts(value))


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict | list):
        for leaf in _leaves(value):
            yield str(leaf)
    elif value is not None:
        yield str(value)


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def holding(engine: Engine, digits: str) -> list[tuple[str, str]]:
    return [(where, text[:200]) for where, text in stored_readings(engine) if digits in digits_of(text)]
