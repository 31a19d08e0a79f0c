"""Text any database takes (pure): what goes into a text column or a JSON document is made storable.

Email carries what databases refuse: a NUL (PostgreSQL's text cannot hold one; an encoded word
``=?utf-8?b?aGkAdGhlcmU=?=`` is enough) and lone surrogates (Python's stand-in for bytes that are not
UTF-8, which no driver can encode). One such value once failed every attempt to store or quarantine its
message, so the intake stopped behind it.

- ``storable(text)``: NUL and surrogates become U+FFFD (visible, where a person reads it);
- ``storable_json``: the same on every string (keys too) of a JSON-able tree.

``db.types`` applies them to every text column and JSON document written; ``inbound.prepare`` to the
envelope, so that the dedup key looked up is the key stored. The raw message is bytes and never passes
here: it stays intact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` with NUL and lone surrogates replaced by U+FFFD (the same string when there are none)."""
    return _UNSTORABLE.sub(REPLACEMENT, text) if _UNSTORABLE.search(text) else text


def storable_json(value: Any) -> Any:
    """``value`` (a JSON-able tree) with ``storable`` applied to every string in it, keys included."""
    return map_strings(value, storable)


def map_strings(value: Any, function: Callable[[str], str]) -> Any:
    """``value`` (a JSON-able tree) with ``function`` applied to every string in it, keys included (a tuple
    becomes a list, as JSON has it)."""
    if isinstance(value, str):
        return function(value)
    if isinstance(value, dict):
        return {
            map_strings(k, function) if isinstance(k, str) else k: map_strings(v, function) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [map_strings(v, function) for v in value]
    return value
