"""Card numbers in text: found in time linear in the text, and masked so that only the last four
digits remain (pure). ``redaction.py`` applies this to every part of a raw message.

A card number is 13 to 19 digits passing the Luhn check, starting as a card scheme's numbers of that
length start (``cards_windows.ISSUED``: Visa, Mastercard, American Express, Diners, JCB, Maestro,
Discover, UnionPay, RuPay, Mir, Troy), written in one or more groups. The text is first read as a
*view* of the same length where what is never a card digit stands as a gap: by syntax, character
references (``&nbsp;``, ``&#160;``; ``TEXT``), also tags
(``HTML``), also quoted-printable escapes (``=20``, soft line breaks; ``RAW``: the bytes of a message
read as Latin-1). Between two groups of one number (a *gap*) may stand:
- ``TEXT``: up to three separators (spaces of every width, tabs, zero-width spaces, soft hyphens,
  dashes, ``.``, ``/``, ``_``, their full-width forms, references), or fewer with one line break
  among them, followed by the ``>`` and spaces of a quoted reply;
- ``HTML``: any whitespace, separators and tags (``4111</span> <span>1111``): they show as one space;
- ``RAW``: as ``TEXT``, with up to eight separators, tags and escapes.
Digits are every Unicode decimal digit (full-width ``４１１１`` too); in HTML, digits written as
references (``&#52;``) are digits, and the text of a tag (an ``alt`` or ``title``) is read as well.

Not cards, by construction:
- a group glued to a letter or longer than 19 digits (TRN ``...7890IT``, ``X054``-style IBAN groups,
  long references) breaks the run of groups it stands in;
- a window no card scheme issues (starting with 0, 1, 7, or 13 digits but from 4: zero-padded
  references, epoch milliseconds, ``YYYYMMDDhhmmss`` and the other numbers mail servers write);
- the first digits (up to 15, as E.164 allows) after a ``+``: an international phone number;
- a valid IBAN written in groups (its groups are left out);
- numbers in the path of an address of the web (``https://x.it/1579/4531494/9012/52879``): its
  slashes join no groups;
- a valid date (``15/01/2024``, ``2024-01-15``, ``15.01.2024``) not joined to other digits by a
  ``-``, ``/`` or ``.``, as in ``10/01/2024 - 19/02/2024``: a list of dates. A number written in one
  style throughout (``41-11-1111-...``) is never taken for dates.
So a number written with several kinds of gap whose groups also read as a valid date is missed:
that is the price of not masking every date range.

Every window of whole groups that is a card number is found, overlapping ones too, and each stretch
they cover is masked as one (``[CARTA RIMOSSA ****1234]``, the last four digits of the stretch), so
no card number survives a mask, even one hidden inside a longer run of digits.

How it stays linear in the text with a small constant, whatever the text (``1 1 1 ...`` included):
1. (``_windows_passing``) every digit of the view is checked at once, runs read loosely (any number
   of gap characters joins two groups, anything else breaks the run): a few translations of the
   whole text, then the Luhn sums of every window by big-integer arithmetic (``cards_windows``), with
   no loop in Python over groups or windows;
2. only around a window that passes (``_near_windows``), the runs are read exactly (``_RUN``) and
   their groups one by one (dates, phone numbers, IBANs): work in proportion to the cards found.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import replace
from enum import Enum
from itertools import accumulate
from typing import NamedTuple

from mailbot.understand.cards.windows import (
    MAX_DIGITS,
    MIN_DIGITS,
    ascii_digits,
    coverage,
    is_card,
    layout,
)
from mailbot.understand.identifiers import validate_iban

MASK = "[CARTA RIMOSSA ****{last4}]"
PHONE_DIGITS = 15  # E.164: the most digits an international number has
SHORT_RUN = 400  # characters: the windows of a run this short are checked one by one
MARGIN = 24  # digits read around a stretch found (more than a phone number, a date and its gaps)
REACH = 2048  # characters looked back and ahead for where the runs around a stretch found start and end


class Syntax(Enum):
    """How the text around the digits is written (see the module's docstring)."""

    TEXT = "text"
    HTML = "html"
    RAW = "raw"


# Separators, as the view holds them (a token blanked is a space and PAD, which gaps take as nothing).
PAD = "\x01"
_SEPARATORS = frozenset(
    " \t\u00a0\u1680\u202f\u205f\u2060\u3000\ufeff\u00ad"  # spaces, zero widths, soft hyphen
    "-\u2212\ufe58\ufe63\uff0d"  # hyphens and dashes (and those of the ranges below)
    "._/\uff0e\uff0f\uff3f"  # dots, slashes, underscores
) | {chr(code) for code in [*range(0x2000, 0x200C), *range(0x2010, 0x2016)]}
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_WHITESPACE = frozenset(chr(code) for code in range(0x3001) if chr(code).isspace())
_GAP_CHARACTERS = {
    Syntax.TEXT: _SEPARATORS | _LINE_BREAKS | {">", PAD},
    Syntax.HTML: _SEPARATORS | _WHITESPACE | {">", PAD},
    Syntax.RAW: _SEPARATORS | _LINE_BREAKS | {">", PAD},
}


def _characters(chars: frozenset[str]) -> str:
    """The content of a regular expression's character class holding ``chars``."""
    return "".join(re.escape(c) for c in sorted(chars))


_SEP = _characters(_SEPARATORS)
_UNIT = rf"(?:[{_SEP}]{PAD}*+)"
_NEWLINE = rf"(?:\r\n|[{_characters(_LINE_BREAKS)}]){PAD}*+"
_QUOTE = rf"[ \t>\u00a0{PAD}]{{0,8}}+"  # what follows a line break in a quoted reply


def _gap(most: int) -> str:
    """Up to ``most`` separators, or fewer with one line break (and a quote's ``>``) among them."""
    return rf"(?:{_UNIT}{{0,{most}}}+{_NEWLINE}{_QUOTE}{_UNIT}{{0,{most}}}+|{_UNIT}{{1,{most}}}+)"


_GAPS = {
    Syntax.TEXT: _gap(3),
    Syntax.HTML: rf"[{_characters(_GAP_CHARACTERS[Syntax.HTML])}]++",
    Syntax.RAW: _gap(8),
}


def _run_pattern(gap: str, *, inside: bool) -> re.Pattern[str]:
    """Runs of groups with at least MIN_DIGITS digits: a first group not glued to a letter or a digit,
    then groups behind gaps not glued to a letter; no group longer than MAX_DIGITS. ``inside``: read
    from a group inside a run, the first group is taken as one behind a gap."""
    group = rf"\d{{1,{MAX_DIGITS}}}(?![^\W_])"
    enough = rf"(?=(?:\d(?:{gap})?){{{MIN_DIGITS - 1}}}\d)"
    first = r"(?<![^\W\d_])" if inside else r"(?<![^\W_])"
    return re.compile(rf"{first}{enough}{group}(?:{gap}(?<![^\W\d_]){group})*")


_RUN = {syntax: _run_pattern(gap, inside=False) for syntax, gap in _GAPS.items()}
_RUN_FROM_INSIDE = {syntax: _run_pattern(gap, inside=True) for syntax, gap in _GAPS.items()}

_TAG = r"<[^<>]{0,2000}>"
_REFERENCE = r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,10});?"
_TOKENS = {  # what the view blanks
    Syntax.TEXT: re.compile(_REFERENCE),
    Syntax.HTML: re.compile(rf"{_TAG}|{_REFERENCE}"),
    Syntax.RAW: re.compile(rf"{_TAG}|{_REFERENCE}|=(?:\r?\n|[0-9A-Fa-f]{{2}})"),
}
_TOKEN_MARKS = {Syntax.TEXT: "&", Syntax.HTML: "&<", Syntax.RAW: "&<="}
_URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]{1,20}://|\bwww\.)(?:=\r?\n|[^\s<>\"'])+", re.I)  # QP breaks too
_DIGIT_REFERENCE = re.compile(r"&#(?:([0-9]{1,7})|[xX]([0-9a-fA-F]{1,6}));?")
_TAG_WITH_DIGITS = re.compile(rf"<[^<>\d]*+(?:\d[^<>\d]*+){{{MIN_DIGITS},}}>")

# The first pass reads the view as one byte per character: its digits, ``|`` for a gap character (``n``
# for a line break, two of which end a run but in HTML), NUL for anything else; characters past ASCII
# are first made a space (gaps) or left to break; a carriage return is dropped.
_CLASSES = {
    syntax: bytes(
        c
        if 48 <= c <= 57
        else ord("n")
        if c == 10 and syntax is not Syntax.HTML
        else ord("|")
        if c < 0x80 and chr(c) in gaps
        else 0
        for c in range(256)
    )
    for syntax, gaps in _GAP_CHARACTERS.items()
}
_LINE_TO_GAP = bytes(ord("|") if c == ord("n") else c for c in range(256))
_WIDE_GAPS = {
    syntax: re.compile(f"[{_characters(frozenset(c for c in gaps if ord(c) > 0x7F))}]")
    for syntax, gaps in _GAP_CHARACTERS.items()
}
_BREAKERS = {syntax: re.compile(f"[^0-9{_characters(gaps)}]") for syntax, gaps in _GAP_CHARACTERS.items()}

_DIGITS = re.compile(r"[0-9]+")
_DIGIT = re.compile(r"[0-9]")


def _listed_date() -> re.Pattern[str]:
    """A valid date (day, month, year or year, month, day; 1900-2099), one separator inside, not
    joined to other digits by a separator (``10/01/2024 - 19/02/2024``, not ``41/11/1111/...``)."""
    day, month, year = r"(?:0?[1-9]|[12][0-9]|3[01])", r"(?:0?[1-9]|1[0-2])", r"(?:19|20)[0-9]{2}"
    date = rf"{day}([-/.]){month}\1{year}|{year}([-/.]){month}\2{day}"
    return re.compile(rf"(?<![0-9])(?<![0-9][-/.])(?:{date})(?![0-9])(?![-/.][0-9])")


_LISTED_DATE = _listed_date()
_PROTECT = bytes(c + 0x80 if 48 <= c <= 57 else c for c in range(256))  # a digit left out of windows
_PROTECTED_FLAG = bytes(int(c >= 0x80) for c in range(256))
_IBAN_START = re.compile(r"[A-Za-z]{2}\d{2}")
_IBAN_GROUP = re.compile(r"[A-Za-z0-9]+")
_SPACED_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:(?:[ \u00a0]|\r?\n)[A-Za-z0-9]{1,4}){3,9}")


class Found(NamedTuple):
    """A stretch of text covered by card numbers (``start``, ``end``), and its last four digits."""

    start: int
    end: int
    last4: str


MaskFunction = Callable[[Found, str], str]  # a stretch found and its text -> what replaces it


def find_cards(text: str, syntax: Syntax = Syntax.TEXT) -> list[Found]:
    """Every stretch of ``text`` covered by card numbers, in order (see the module's docstring); in
    HTML and raw text, those inside the text of a tag as well."""
    found = _near_windows(text, syntax)[1]
    if syntax is Syntax.TEXT or "<" not in text:
        return found
    return sorted(found + _cards_in_tags(text), key=lambda f: (f.start, -f.end))


def _cards_in_tags(text: str) -> list[Found]:
    """The card numbers in the text of the tags of ``text`` (an ``alt``, a ``title``, a comment)."""
    found: list[Found] = []
    for tag in _TAG_WITH_DIGITS.finditer(text):
        found += [f._replace(start=f.start + tag.start(), end=f.end + tag.start()) for f in find_cards(tag.group())]
    return found


def find_card_numbers(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of the card numbers in plain ``text``, in order."""
    return [(f.start, f.end) for f in find_cards(text)]


def contains_card_number(text: str, syntax: Syntax = Syntax.TEXT) -> bool:
    if syntax is Syntax.HTML:
        text = decode_digit_references(text)
    return bool(find_cards(text, syntax))


def redact_text(text: str) -> tuple[str, bool]:
    """Plain ``text`` with every card number masked, and whether there was one."""
    found = find_cards(text)
    return _replace(text, found, lambda f, _span: MASK.format(last4=f.last4)), bool(found)


def redact_html(html: str) -> tuple[str, bool]:
    """``html`` with every card number masked, tags between its groups kept; and whether there was one.
    With one, digits written as character references come back as digits."""
    decoded = decode_digit_references(html)
    found = _outermost(find_cards(decoded, Syntax.HTML))
    if not found:
        return html, False

    def mask(f: Found, span: str) -> str:  # the tags between the groups stay, their own text redacted
        tags = "".join(m.group() for m in _TOKENS[Syntax.HTML].finditer(span) if m.group()[0] == "<")
        return MASK.format(last4=f.last4) + _TAG_WITH_DIGITS.sub(lambda m: redact_text(m.group())[0], tags)

    return _replace(decoded, found, mask), True


def redact_in_place(text: str) -> tuple[str, bool]:
    """``text`` (raw bytes read as Latin-1) with the digits of every card number but the last four
    turned into ``X``: same length, same structure (boundaries, line lengths, escapes) around them."""
    view, content = _near_windows(text, Syntax.RAW)
    in_tags = _cards_in_tags(text) if "<" in text else []
    if not (content or in_tags):
        return text, False
    chars = list(text)
    for f, reading in [(f, view) for f in content] + [(f, text) for f in in_tags]:
        digits = [m.start() for m in _DIGIT.finditer(reading, f.start, f.end)]  # not those of escapes
        for at in digits[: max(0, len(digits) - 4)]:
            chars[at] = "X"
    return "".join(chars), True


def decode_digit_references(html: str) -> str:
    """``html`` with the character references that stand for digits (``&#52;``, ``&#x34;``) decoded."""
    if "&#" not in html:
        return html

    def digit(match: re.Match[str]) -> str:
        decimal, hexadecimal = match.groups()
        code = int(decimal) if decimal is not None else int(hexadecimal, 16)
        char = chr(code) if code <= 0x10FFFF else ""
        return char if char.isdecimal() else match.group()

    return _DIGIT_REFERENCE.sub(digit, html)


def _replace(text: str, found: list[Found], mask: MaskFunction) -> str:
    if not found:
        return text
    parts: list[str] = []
    last = 0
    for f in found:
        parts += [text[last : f.start], mask(f, text[f.start : f.end])]
        last = f.end
    parts.append(text[last:])
    return "".join(parts)


def _outermost(found: list[Found]) -> list[Found]:
    """``found`` without the stretches inside another one (a tag's text inside a masked stretch)."""
    out: list[Found] = []
    for f in found:
        if out and f.start < out[-1].end:
            continue
        out.append(f)
    return out


def _view(text: str, syntax: Syntax) -> str:
    """``text`` as the card scan reads it, offsets kept: tokens as a space and PADs, digits in ASCII,
    the slashes of addresses of the web as NULs (a path's numbers are no groups of one number)."""
    text = _break_urls(text)
    if any(mark in text for mark in _TOKEN_MARKS[syntax]):
        text = _TOKENS[syntax].sub(lambda m: " " + PAD * (m.end() - m.start() - 1), text)
    return ascii_digits(text)


def _break_urls(text: str) -> str:
    if "://" not in text and "www." not in text:
        return text
    return _URL.sub(lambda m: m.group().replace("/", "\x00"), text)


# The first pass: every digit of the view at once, runs read loosely (a superset of the exact runs).


def _windows_passing(text: str, syntax: Syntax) -> bytes | None:
    """Per digit of ``text`` (but those of tokens), how many windows passing the check cover it, any
    number of a run's gap characters joining groups; None when no window passes."""
    text = _break_urls(text)
    if any(mark in text for mark in _TOKEN_MARKS[syntax]):
        text = _TOKENS[syntax].sub(" ", text)  # offsets need not be kept here: digits are counted
    view = ascii_digits(text)
    if not view.isascii():
        view = _WIDE_GAPS[syntax].sub(" ", view).encode("utf-8", "surrogatepass").decode("latin-1")
    classes = view.encode("latin-1").translate(_CLASSES[syntax], b"\r")
    if syntax is not Syntax.HTML:  # a blank line ends a run (a line break is a gap character: "n")
        classes = classes.replace(b"nn", b"\x00\x00").translate(_LINE_TO_GAP)
    return coverage(layout(classes))


def _near_windows(text: str, syntax: Syntax) -> tuple[str, list[Found]]:
    """The view of ``text`` (when a window passes; else the text), and its card numbers: where the
    first pass found a window, the runs read exactly."""
    covered = _windows_passing(text, syntax)
    if covered is None:
        return text, []
    view = _view(text, syntax)
    index = _DigitIndex(view)
    spans: list[tuple[int, int, bool]] = []  # start, end, whether a run may start at ``start``
    for low, high in _neighbourhoods(covered):
        start, whole = _loose_start(view, index.group_start(low), syntax)
        end = _loose_end(view, index.group_end(high - 1), syntax)
        if spans and start < spans[-1][1]:
            spans[-1] = (spans[-1][0], end, spans[-1][2])
        else:
            spans.append((start, end, whole))
    found: list[Found] = []
    for start, end, whole in spans:
        for run in (_RUN if whole else _RUN_FROM_INSIDE)[syntax].finditer(view, start, end):
            found += _cards_in_run(view, run.start(), run.end())
    return view, found


def _neighbourhoods(covered: bytes) -> list[tuple[int, int]]:
    """The stretches of covered digits widened by MARGIN digits on each side, those that meet merged."""
    out: list[tuple[int, int]] = []
    for match in re.finditer(rb"[^\x00]+", covered):
        low, high = max(0, match.start() - MARGIN), min(len(covered), match.end() + MARGIN)
        if out and low <= out[-1][1]:
            out[-1] = (out[-1][0], high)
        else:
            out.append((low, high))
    return out


def _loose_start(view: str, at: int, syntax: Syntax) -> tuple[int, bool]:
    """Where the stretch of gap characters and digits holding ``at`` starts, when within REACH; else
    ``at`` (a group inside a long run), and whether a run may start there."""
    low = max(0, at - REACH)
    breaker = _BREAKERS[syntax].search(view[low:at][::-1])
    if breaker is not None:
        return at - breaker.start(), True
    return (0, True) if low == 0 else (at, False)


def _loose_end(view: str, at: int, syntax: Syntax) -> int:
    """Where the stretch of gap characters and digits holding ``at`` ends (its first character after,
    for the look-aheads of ``_RUN``), when within REACH; else ``at``."""
    breaker = _BREAKERS[syntax].search(view, at, at + REACH)
    if breaker is not None:
        return breaker.end()
    return len(view) if at + REACH >= len(view) else at


class _DigitIndex:
    """Where the n-th digit of a view stands, and how many stand before an offset."""

    CHUNK = 1024

    def __init__(self, view: str) -> None:
        self.view = view
        counts = (_count_digits(view[i : i + self.CHUNK]) for i in range(0, len(view), self.CHUNK))
        self.before = list(accumulate(counts, initial=0))

    def offset(self, digit: int) -> int:
        chunk = bisect.bisect_right(self.before, digit) - 1
        wanted = digit - self.before[chunk]
        for n, match in enumerate(_DIGIT.finditer(self.view, chunk * self.CHUNK)):
            if n == wanted:
                return match.start()
        raise IndexError(digit)

    def group_start(self, digit: int) -> int:
        at = self.offset(digit)
        while at > 0 and self.view[at - 1].isdigit():
            at -= 1
        return at

    def group_end(self, digit: int) -> int:
        at = self.offset(digit) + 1
        while at < len(self.view) and self.view[at].isdigit():
            at += 1
        return at


def _count_digits(text: str) -> int:
    """How many (ASCII) digits ``text`` holds."""
    return sum(text.count(digit) for digit in "0123456789")


# The exact reading of a run of the view: its groups, what is left out, its windows.


def _cards_in_run(view: str, start: int, end: int) -> list[Found]:
    """The card numbers of the run ``view[start:end]``, dates, phone numbers and IBANs left out."""
    protected = _protected_spans(view, start, end)
    if end - start <= SHORT_RUN:
        return _cards_in_short_run(view, start, end, protected)
    run = _WIDE_GAPS[Syntax.HTML].sub(" ", view[start:end])  # digits and gap characters only
    classes = run.encode("latin-1", "replace").translate(_CLASSES[Syntax.HTML])
    found = layout(classes)
    if protected:  # their digits may not be in a window, nor next to one
        marked = bytearray(classes)
        for low, high in protected:
            marked[low - start : high - start] = classes[low - start : high - start].translate(_PROTECT)
        flags = int.from_bytes(bytes(marked).translate(_PROTECTED_FLAG, b"|\x00"), "big")
        breaks = int.from_bytes(found.breaks, "big") | flags | (flags >> 8)
        starts = int.from_bytes(found.starts, "big") | flags
        n = len(found.digits)
        found = replace(found, starts=starts.to_bytes(n, "big"), breaks=breaks.to_bytes(n, "big"))
    covered = coverage(found)
    if covered is None:
        return []
    index = _DigitIndex(view[start:end])
    return [
        Found(start + index.offset(a), start + index.offset(b - 1) + 1, found.digits[b - 4 : b].decode())
        for a, b in (m.span() for m in re.finditer(rb"[^\x00]+", covered))
    ]


def _protected_spans(view: str, start: int, end: int) -> list[tuple[int, int]]:
    """Where in a run an international phone number, a date in a list or an IBAN stands."""
    spans: list[tuple[int, int]] = []
    before = view[max(0, start - 2) : start]
    if before.endswith("+") or (before[:1] == "+" and before[1:].isspace()):
        digits, last = 0, start
        for match in _DIGITS.finditer(view, start, end):
            digits += len(match.group())
            if digits > PHONE_DIGITS:
                break
            last = match.end()
        spans.append((start, last))
    spans += [match.span() for match in _LISTED_DATE.finditer(view, start, end)]
    low = max(0, start - 48)
    if _IBAN_START.search(view, low, end):
        spans += [(a + low, b + low) for a, b in _iban_spans(view[low:end])]
    return spans


def _cards_in_short_run(view: str, start: int, end: int, protected: list[tuple[int, int]]) -> list[Found]:
    """``_cards_in_run`` group by group, each window checked on its own."""
    groups = [(m.start(), m.end(), m.group()) for m in _DIGITS.finditer(view, start, end)]
    left_out = {i for i, g in enumerate(groups) for low, high in protected if g[0] < high and low < g[1]}
    covered: set[int] = set()
    for a in range(len(groups)):
        if a in left_out or groups[a][2][0] == "0":
            continue
        digits = ""
        for b in range(a, len(groups)):
            digits += groups[b][2]
            if b in left_out or len(digits) > MAX_DIGITS:
                break
            if len(digits) >= MIN_DIGITS and is_card(digits):
                covered.update(range(a, b + 1))
    found: list[Found] = []
    for a, b in _consecutive(sorted(covered)):
        digits = "".join(g[2] for g in groups[a : b + 1])
        found.append(Found(groups[a][0], groups[b][1], digits[-4:]))
    return found


def _consecutive(indexes: list[int]) -> list[tuple[int, int]]:
    """Consecutive indexes as (first, last) pairs."""
    out: list[tuple[int, int]] = []
    for index in indexes:
        if out and out[-1][1] == index - 1:
            out[-1] = (out[-1][0], index)
        else:
            out.append((index, index))
    return out


def _iban_spans(text: str) -> list[tuple[int, int]]:
    """Spans of valid IBANs written in groups (the longest valid prefix of each group run)."""
    spans: list[tuple[int, int]] = []
    for match in _SPACED_IBAN.finditer(text):
        groups = list(_IBAN_GROUP.finditer(match.group()))
        for size in range(len(groups), 3, -1):
            if validate_iban(" ".join(g.group() for g in groups[:size])) is None:
                spans.append((match.start(), match.start() + groups[size - 1].end()))
                break
    return spans
