"""Text from email made safe for a terminal, a JSON line, a log line and a header (``mailbot/text.py``)."""

from __future__ import annotations

import json

import pytest

from mailbot.text import header_text, is_header_safe, json_text, visible, visible_lines

# What a hostile sender can put in a Subject or a display name once its encoded words are decoded.
HOSTILE = (
    "Rinnovo\n  from: ufficio@example.it"  # a fake line
    "\x1b[2J\x1b]0;owned\x07"  # ESC: clear the screen, set the window title (OSC ... BEL)
    "\x9b31m"  # C1 CSI: a colour on terminals that read 8-bit controls
    "\u202eoiggassem"  # RIGHT-TO-LEFT OVERRIDE: shown reversed
    "\u200b\u2028\u2029\x85\x00\x7f\r\t"
    "\udce9"  # a lone surrogate (an undecodable byte kept by surrogateescape): cannot even be printed
)


def _hidden(text: str) -> list[str]:
    """The characters a terminal or a header must never receive raw."""
    import unicodedata

    return [c for c in text if unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"}]


def test_visible_shows_every_control_as_an_escape_on_one_line() -> None:
    shown = visible(HOSTILE)
    assert _hidden(shown) == []
    assert "\n" not in shown and "\\n  from: ufficio@example.it" in shown
    for escape in (
        "\\x1b[2J",
        "\\x1b]0;owned\\x07",
        "\\x9b31m",
        "\\u202e",
        "\\u200b",
        "\\u2028",
        "\\x85",
        "\\x00",
        "\\x7f",
        "\\r",
        "\\t",
        "\\udce9",
    ):
        assert escape in shown
    shown.encode("utf-8")  # printable on any UTF-8 terminal: no lone surrogate left


def test_visible_keeps_ordinary_text_as_it_is() -> None:
    text = "Città di Ñoño — fattura n° 12 ✓ 😀 北京 \u00a0(nbsp) C:\\cartella"
    assert visible(text) == text
    assert visible("") == ""


def test_visible_is_idempotent() -> None:
    assert visible(visible(HOSTILE)) == visible(HOSTILE)


def test_visible_beyond_the_basic_plane() -> None:
    assert visible("a\U000e0001b") == "a\\U000e0001b"  # LANGUAGE TAG, a format character


def test_visible_lines_splits_only_at_line_ends() -> None:
    assert visible_lines("uno\r\ndue\x1b[1m\ntre\u2028quattro") == ["uno", "due\\x1b[1m", "tre\\u2028quattro"]
    assert visible_lines("uno\n\ndue\n") == ["uno", "", "due"]
    assert visible_lines("") == []


@pytest.mark.parametrize("indent", [None, 2])
def test_json_text_is_valid_json_with_nothing_hidden(indent: int | None) -> None:
    value = {"subject": HOSTILE, "n": [1, "\U000e0001"], HOSTILE: True}
    text = json_text(value, indent=indent)
    assert _hidden(text.replace("\n", "")) == []
    assert (indent is None) == ("\n" not in text)  # one line unless indented
    text.encode("utf-8")
    assert json.loads(text) == value
    assert "Città" in json_text("Città")  # readable: not every non-ASCII character escaped


def test_header_text_is_one_clean_line() -> None:
    cleaned = header_text(HOSTILE)
    assert _hidden(cleaned) == []
    assert cleaned.startswith("Rinnovo from: ufficio@example.it[2J]0;owned31moiggassem")
    cleaned.encode("utf-8")
    assert header_text("  Re:\tla  Sua\r\n richiesta ") == "Re: la Sua richiesta"
    assert header_text("famiglia 👨\u200d👩\u200d👧 ok") == "famiglia 👨\u200d👩\u200d👧 ok"  # ZWJ joins emoji


def test_is_header_safe() -> None:
    assert is_header_safe("Re: la Sua richiesta «Impianto» 👨\u200d👩\u200d👧")
    for bad in ("a\nb", "a\rb", "a\tb", "a\x1bb", "a\x9bb", "a\u202eb", "a\u2028b", "a\udce9b", "a\x00b"):
        assert not is_header_safe(bad), repr(bad)
        assert is_header_safe(header_text(bad))
