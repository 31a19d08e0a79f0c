"""The arithmetic of ``cards``: which windows of a digit string pass the Luhn check, all at once (pure).

A window counts only where a card scheme issues numbers of its length starting with its first two
digits (``ISSUED``), checked for every window at once the same way.

A text's digit groups become byte strings (``layout``): its digits (ASCII), and per digit whether a
window may start there, whether one may end there, and whether one may reach across from the digit
before. ``coverage`` then tells, per digit, how many windows of 13 to 19 digits passing the check
cover it. Each string is read as one big
integer, one byte per digit, most significant first: multiplying the digits by a kernel of ones sums
every window of a length at once (a window's sum is at most 9 * 19 = 171, so bytes never carry into
each other), and the verdicts are masks combined with ``|``. Seven multiplications a run, whatever
its length, instead of a loop over its windows in Python.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

MIN_DIGITS, MAX_DIGITS = 13, 19

_PLAIN = bytes(i - 48 if 48 <= i <= 57 else 0 for i in range(256))
_DOUBLED = bytes((2 * (i - 48) - 9 if i >= 53 else 2 * (i - 48)) if 48 <= i <= 57 else 0 for i in range(256))
_NOT_MOD_10 = bytes(0 if value % 10 == 0 else 1 for value in range(256))
_ZERO_TO_ONE = bytes([1] + [0] * 255)


def _table(mapping: dict[int, int]) -> bytes:
    return bytes(mapping.get(i, i) for i in range(256))


_DIGIT_TO_ONE = _table({ord(c): 1 for c in "0123456789"})
_DIGIT_TO_D = _table({ord(c): ord("d") for c in "0123456789"})
_D_TO_ZERO = _table({ord("d"): 0})
_BREAK_TO_GAP = _table({0: ord("|")})
_START_TO_END = _table({2: 0})  # starts: 0 a group, 1 inside one, 2 a group starting with 0


def _issued() -> dict[int, bytes]:
    """Per length, per two first digits (0 to 99): 0 where a card scheme issues numbers, 1 elsewhere.

    ISO/IEC 7812 ranges of the schemes, by their first two digits: Visa 4 (13, 16 and 19 digits);
    Mastercard 51-55 and 22-27 (16); Mir 22 (16-19); American Express 34, 37 (15); Diners 30, 36, 38,
    39 (14-19); JCB 35 (16-19); Maestro 50 and 56-69 (13-19: Discover, UnionPay and RuPay among
    them); RuPay 81, 82 (16); Troy 97 (16). No scheme issues numbers starting with 0, 1 (but UATP's
    airline cards, left out), 7, other 2s, 8s and 9s: so epoch milliseconds (13 digits from 1),
    YYYYMMDDhhmmss (14 from 2) and the like, which mail servers write everywhere, are no cards."""
    lengths: dict[int, set[int]] = {}
    for firsts, sizes in (
        (range(40, 50), (13, 16, 19)),
        (range(51, 56), (16,)),
        (range(22, 28), (16,)),
        ((22,), range(16, 20)),
        ((34, 37), (15,)),
        ((30, 36, 38, 39), range(14, 20)),
        ((35,), range(16, 20)),
        ((50, *range(56, 70)), range(13, 20)),
        ((81, 82), (16,)),
        ((97,), (16,)),
    ):
        for first in firsts:
            lengths.setdefault(first, set()).update(sizes)
    return {
        size: bytes(0 if code in lengths and size in lengths[code] else 1 for code in range(256))
        for size in range(MIN_DIGITS, MAX_DIGITS + 1)
    }


ISSUED = _issued()
_TENS = bytes(10 * (i - 48) if 48 <= i <= 57 else 0 for i in range(256))


def _kernel(length: int, parity: int) -> int:
    """Ones (in base 256) at the window offsets whose digit is added as it is (parity 0) or doubled."""
    return sum(1 << (8 * offset) for offset in range(length) if (length - 1 - offset) % 2 == parity)


_KERNELS = {length: (_kernel(length, 0), _kernel(length, 1)) for length in range(MIN_DIGITS, MAX_DIGITS + 1)}
_ONES = {length: (1 << (8 * length)) // 255 for length in _KERNELS}  # 0x0101...01, ``length`` ones
_INSIDE = {length: _ONES[length] - 1 for length in _KERNELS}  # every offset of a window but its first


def ascii_digits(text: str) -> str:
    """``text`` with every decimal digit of another script (full-width ``４``) as its ASCII digit."""
    if text.isascii():
        return text
    table = {ord(c): str(unicodedata.decimal(c)) for c in set(text) if c.isdecimal() and not c.isascii()}
    return text.translate(table) if table else text


@dataclass(frozen=True)
class Layout:
    """A text's digits, and where windows may start, end, and not cross (one byte per digit)."""

    digits: bytes  # ASCII
    starts: bytes  # per digit: 0 a group starts there with a digit other than 0 (a window may start)
    ends: bytes  # per position 0..n: 0 a group ends there (a window may end)
    breaks: bytes  # per digit: 1 no window may hold this digit and the one before it


def layout(classes: bytes) -> Layout:
    """From a text as one byte per character: its ASCII digits, ``|`` for a character that may stand
    in a gap, NUL for one that breaks a run (``classes``)."""
    digits = classes.translate(None, b"|\x00")
    flags = (b"|" + classes.translate(_BREAK_TO_GAP)).replace(b"|0", b"\x02").translate(_DIGIT_TO_ONE)
    starts = flags.replace(b"|\x01", b"\x00").translate(None, b"|")
    breaks = classes.translate(_DIGIT_TO_D, b"|").replace(b"\x00d", b"\x01").translate(None, b"\x00")
    return Layout(digits, starts, starts.translate(_START_TO_END) + b"\x00", breaks.translate(_D_TO_ZERO))


def coverage(found: Layout) -> bytes | None:
    """Per digit, how many windows passing the Luhn check cover it; None when none does.

    A window of ``length`` digits starting at ``k`` counts when ``starts[k]`` and
    ``ends[k + length]`` are 0 and no break stands inside it. The product of a string by a kernel
    holds in its byte ``length + k`` (of ``n + length``) the sum over the window starting at ``k``."""
    n = len(found.digits)
    plain = int.from_bytes(found.digits.translate(_PLAIN), "big")
    doubled = int.from_bytes(found.digits.translate(_DOUBLED), "big")
    breaks = int.from_bytes(found.breaks, "big")
    start_bad = int.from_bytes(found.starts, "big")
    end_bad = int.from_bytes(found.ends, "big")
    firsts = b""  # per digit, it and the next as a number (0-99): made when a window first passes
    covered = 0
    for length, (as_is, twice) in _KERNELS.items():
        count = n - length + 1  # windows of this length
        if count <= 0:
            break
        sums = (plain * as_is + doubled * twice).to_bytes(n + length, "big")[length : n + 1]
        bad = int.from_bytes(sums.translate(_NOT_MOD_10), "big")
        if breaks:
            bad |= int.from_bytes((breaks * _INSIDE[length]).to_bytes(n + length, "big")[length : n + 1], "big")
        bad |= start_bad >> (8 * (length - 1))  # starts[0:count]
        bad |= end_bad & ((1 << (8 * count)) - 1)  # ends[length:n + 1]
        if 0 not in bad.to_bytes(count, "big"):
            continue
        if not firsts:
            tens = int.from_bytes(found.digits.translate(_TENS), "big")
            firsts = (tens + int.from_bytes(found.digits[1:].translate(_PLAIN) + b"\x00", "big")).to_bytes(n, "big")
        bad |= int.from_bytes(firsts[:count].translate(ISSUED[length]), "big")  # no scheme issues it
        verdicts = bad.to_bytes(count, "big")
        if 0 in verdicts:
            covered += int.from_bytes(verdicts.translate(_ZERO_TO_ONE), "big") * _ONES[length]
    return covered.to_bytes(n, "big") if covered else None


def is_card(digits: str) -> bool:
    """Whether ASCII ``digits`` (one window, for short runs) are a card number: a scheme issues such
    numbers (``ISSUED``) and they pass the Luhn check."""
    return (
        MIN_DIGITS <= len(digits) <= MAX_DIGITS and not ISSUED[len(digits)][int(digits[:2])] and is_luhn_valid(digits)
    )


def is_luhn_valid(digits: str) -> bool:
    """The Luhn check of ASCII ``digits``."""
    data = digits.encode("ascii")
    return (sum(data[-1::-2].translate(_PLAIN)) + sum(data[-2::-2].translate(_DOUBLED))) % 10 == 0
