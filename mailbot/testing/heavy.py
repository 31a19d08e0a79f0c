"""Messages made to be slow to read, of any size: digit-heavy bodies and other adversarial shapes, for
``bench/reading.py`` and the speed guard of the tests (issue 9: 1 MB of ``1 1 1 ...`` once took 149 s).

Each shape is a body repeated to the size asked, sent in a message as a person's mail client would
(plain text, HTML, quoted-printable or base64). ``digit_heavy`` puts the digit-heavy ones together:
plain, HTML and base64 parts of ``1 1 1``, ``1234 5678``, long digit runs and digits with every
separator the card scanner knows.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

SEPARATED = "1.2/3_4-5\t6  7\n8 9\u00a00 "  # digits with every kind of gap between them


def _repeat(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit.encode()))


def _message(*parts: tuple[str, str, str]) -> bytes:
    """A message of (subtype, cte, text) parts: a single part, or multipart/mixed."""
    msg = EmailMessage()
    msg["From"] = "Mittente <mittente@example.org>"
    msg["To"] = "rinnovi@example.it"
    msg["Subject"] = "Rinnovo"
    msg["Message-ID"] = "<heavy@example.org>"
    subtype, cte, text = parts[0]
    msg.set_content(text, subtype=subtype, cte=cte)
    for subtype, cte, text in parts[1:]:
        msg.add_attachment(text, subtype=subtype, cte=cte, disposition="inline")
    return msg.as_bytes()


def _html_table(size: int) -> str:
    return "<table>" + _repeat("<tr><td>1234</td><td>5678</td><td>Totale 9012</td></tr>\n", size) + "</table>"


# name -> (size in bytes -> message)
SHAPES: dict[str, Callable[[int], bytes]] = {
    "ones": lambda size: _message(("plain", "8bit", _repeat("1 ", size))),
    "groups": lambda size: _message(("plain", "8bit", _repeat("1234 5678 ", size))),
    "long runs": lambda size: _message(("plain", "8bit", _repeat("1" * 998 + "\n", size))),
    "separators": lambda size: _message(("plain", "8bit", _repeat(SEPARATED, size))),
    "html digits": lambda size: _message(("html", "quoted-printable", _repeat("<span>1</span> 2 ", size))),
    "base64 digits": lambda size: _message(("plain", "base64", _repeat("1 2 3 ", size * 3 // 4))),
    "long line": lambda size: _message(("plain", "8bit", _repeat("parola ", size))),
    "short lines": lambda size: _message(("plain", "8bit", _repeat("1\n", size))),
    "html table": lambda size: _message(("html", "8bit", _html_table(size))),
    "text": lambda size: _message(("plain", "8bit", _repeat("Vorrei rinnovare per due anni, CIG Z213346E34.\n", size))),
}


def digit_heavy(size: int) -> bytes:
    """About ``size`` bytes of the digit-heavy shapes together, in plain, HTML and base64 parts."""
    part = size // 6
    return _message(
        ("plain", "8bit", _repeat("1 ", part) + "\n" + _repeat("1234 5678 ", part)),
        ("plain", "8bit", _repeat("1" * 998 + "\n", part) + _repeat(SEPARATED, part)),
        ("html", "quoted-printable", _repeat("<span>1</span> 2 ", part)),
        ("plain", "base64", _repeat("1 2 3 ", part * 3 // 4)),
    )
