"""Text from email made safe for where it goes: a terminal, a JSON document, a log line, a header.

A decoded Subject or display name may hold anything: a line break (``=?utf-8?b?...?=`` decodes to
``"hi\\n  from: boss@..."``, a fake line on a terminal or a fake header), ESC sequences that clear
the screen or set the window title, C1 controls (U+009B is a CSI on terminals reading 8-bit
controls), bidi overrides that show text reversed (U+202E), zero-width characters that make two
names look alike, and lone surrogates (an undecodable byte) that cannot even be printed.

The *hidden* characters are those of the Unicode categories Cc (controls), Cf (format), Cs
(surrogates), Zl and Zp (line and paragraph separators). For people (``visible``, ``json_text``)
they are written as escapes, so the text shows what it really holds; for a header
(``header_text``) they are removed, as a header must be one line of text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")  # every hidden character is among these
_KEPT_IN_HEADERS = frozenset("\u200c\u200d")  # ZERO WIDTH (NON-)JOINER: they shape emoji and scripts


def is_hidden(char: str) -> bool:
    """A control, format or separator character, or a lone surrogate."""
    return unicodedata.category(char) in HIDDEN_CATEGORIES


def visible(text: str) -> str:
    """``text`` as one line for a terminal or a log: each hidden character written as its escape
    (``\\n``, ``\\x1b``, ``\\u202e``, ``\\U000e0001``); everything else as it is. Idempotent."""
    if text.isprintable():  # the common case: nothing hidden (isprintable is False for each of them)
        return text
    return _NOT_PRINTABLE_ASCII.sub(_escape_hidden, text)


def visible_lines(text: str) -> list[str]:
    """A multi-line text (a message body) as lines for a terminal: split at its line ends (``\n`` or
    ``\r\n``; a last one ends the last line, as with ``str.splitlines``), each line ``visible``."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    return [visible(line) for line in lines]


def json_text(value: Any, *, indent: int | None = None) -> str:
    """``value`` as JSON that is safe on a terminal and still valid: readable UTF-8, each hidden
    character a ``\\uXXXX`` escape (JSON itself leaves C1 controls, bidi overrides, U+2028 and lone
    surrogates raw). One line unless ``indent`` is given."""
    return _NOT_PRINTABLE_ASCII.sub(_json_escape_hidden, json.dumps(value, ensure_ascii=False, indent=indent))


def header_text(text: str) -> str:
    """Text from email made fit for a header we write: one line, line breaks and other spacing
    controls turned to spaces, the other hidden characters removed (a lone surrogate becomes
    U+FFFD), runs of spaces made one, no spaces at the ends."""
    if not text.isprintable():
        text = _NOT_PRINTABLE_ASCII.sub(_header_char, text)
    return " ".join(text.split())


def is_header_safe(text: str) -> bool:
    """True when ``text`` holds no hidden character that ``header_text`` would remove or turn into a
    space (spacing itself, which ``header_text`` also tidies, is not checked)."""
    return text.isprintable() or all(c in _KEPT_IN_HEADERS or not is_hidden(c) for c in text)


def _escape_hidden(match: re.Match[str]) -> str:
    char = match.group()
    if not is_hidden(char):
        return char
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _json_escape_hidden(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\n" or not is_hidden(char):  # json.dumps escapes those in strings: a raw one is indentation
        return char
    code = ord(char)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON writes characters beyond the basic plane
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _header_char(match: re.Match[str]) -> str:
    char = match.group()
    if char.isspace():
        return " "
    if char in _KEPT_IN_HEADERS or not is_hidden(char):
        return char
    return "\ufffd" if unicodedata.category(char) == "Cs" else ""
