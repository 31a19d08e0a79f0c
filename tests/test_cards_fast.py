"""The fast card scanner (``cards``, ``cards_windows``) against slow references written here (issue 9)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from mailbot.understand.cards import find as cards
from mailbot.understand.cards.find import Syntax, find_cards
from mailbot.understand.cards.windows import MAX_DIGITS, MIN_DIGITS, Layout, coverage, is_luhn_valid, layout

# What the card schemes issue, written out here as they publish it: first digits -> lengths.
SCHEMES: list[tuple[tuple[str, ...], tuple[int, ...]]] = [
    (("4",), (13, 16, 19)),  # Visa
    (("51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27"), (16,)),  # Mastercard
    (("22",), (16, 17, 18, 19)),  # Mir
    (("34", "37"), (15,)),  # American Express
    (("30", "36", "38", "39"), (14, 15, 16, 17, 18, 19)),  # Diners
    (("35",), (16, 17, 18, 19)),  # JCB
    (("50", "56", "57", "58", "6"), (13, 14, 15, 16, 17, 18, 19)),  # Maestro, Discover, UnionPay, RuPay
    (("81", "82", "97"), (16,)),  # RuPay, Troy
]


def is_issued(number: str) -> bool:
    return any(number.startswith(firsts) and len(number) in lengths for firsts, lengths in SCHEMES)


def covered_slowly(digits: str, starts: bytes, ends: bytes, breaks: bytes) -> list[int]:
    """Per digit, how many card numbers (issued, passing the Luhn check) cover it, one window at a time."""
    counts = [0] * len(digits)
    for start in range(len(digits)):
        for length in range(MIN_DIGITS, MAX_DIGITS + 1):
            end = start + length
            if end > len(digits) or starts[start] or ends[end] or any(breaks[start + 1 : end]):
                continue
            if is_issued(digits[start:end]) and luhn.is_valid(digits[start:end]):
                for at in range(start, end):
                    counts[at] += 1
    return counts


@settings(max_examples=300, deadline=None)
@given(
    st.text("0123456789", min_size=1, max_size=60),
    st.data(),
)
def test_coverage_counts_every_window_passing_the_check(digits: str, data: st.DataObject) -> None:
    n = len(digits)
    flags = st.binary(min_size=n, max_size=n).map(lambda b: bytes(x % 3 == 0 for x in b))
    starts, breaks = data.draw(flags), data.draw(flags)
    ends = data.draw(st.binary(min_size=n + 1, max_size=n + 1).map(lambda b: bytes(x % 3 == 0 for x in b)))
    found = coverage(Layout(digits.encode(), starts, ends, breaks))
    expected = covered_slowly(digits, starts, ends, breaks)
    assert (list(found) if found is not None else [0] * n) == expected


def test_is_luhn_valid_agrees_with_stdnum() -> None:
    for number in ("4111111111111111", "4111111111111112", "378282246310005", "0", "18"):
        assert is_luhn_valid(number) == luhn.is_valid(number)


@pytest.mark.parametrize(
    ("classes", "digits", "starts", "breaks"),
    [
        (b"12|34", b"1234", b"\x00\x01\x00\x01", b"\x00\x00\x00\x00"),
        (b"|01\x0023|", b"0123", b"\x02\x01\x00\x01", b"\x00\x00\x01\x00"),
        (b"1|\x00|\x00|2", b"12", b"\x00\x00", b"\x00\x01"),
    ],
)
def test_layout_reads_groups_and_breaks(classes: bytes, digits: bytes, starts: bytes, breaks: bytes) -> None:
    found = layout(classes)
    assert (found.digits, found.starts, found.breaks) == (digits, starts, breaks)


# Texts made of what card numbers, dates, phone numbers and IBANs are made of, many digits.
PIECES = [
    "1",
    "4",
    "0",
    "7",
    "1111",
    "4111",
    "12",
    "2024",
    "01",
    "15",
    "1234 5678",
    "41 11",
    " ",
    "  ",
    "    ",
    "\t",
    "\n",
    "\n> ",
    "\n\n",
    "-",
    ".",
    "/",
    "_",
    "\u00a0",
    "\uff11",
    "\u3000",
    "&nbsp;",
    "&#52;",
    "<b>",
    "</span> ",
    "=20",
    "=\n",
    "+",
    "+39 ",
    "x",
    "IT60 X054 ",
    "DE89 ",
    ",",
    "é",
]


def luhn_complete(body: str) -> str:
    """``body`` and the check digit that makes it pass."""
    return body + luhn.calc_check_digit(body)


@st.composite
def split_cards(draw: st.DrawFn) -> str:
    """A card number (of a scheme, passing the check), 13 to 19 digits, in groups of any size and any gap."""
    firsts, lengths = draw(st.sampled_from(SCHEMES))
    first, length = draw(st.sampled_from(firsts)), draw(st.sampled_from(lengths))
    number = luhn_complete(
        first + draw(st.text("0123456789", min_size=length - len(first) - 1, max_size=length - len(first) - 1))
    )
    cuts = sorted(draw(st.sets(st.integers(1, len(number) - 1), max_size=6)))
    groups = [number[a:b] for a, b in zip([0, *cuts], [*cuts, len(number)], strict=True)]
    return draw(st.sampled_from([" ", "  ", ".", "-", "\n", "<b>", "&nbsp;", "=20"])).join(groups)


texts = st.lists(st.one_of(st.sampled_from(PIECES), split_cards()), max_size=40).map("".join)


def found_by_runs(view: str, syntax: Syntax) -> list[cards.Found]:
    """Every run of the view read whole, window by window, without the first pass over all digits."""
    found: list[cards.Found] = []
    for run in cards._RUN[syntax].finditer(view):
        found += cards._cards_in_short_run(
            view, run.start(), run.end(), cards._protected_spans(view, run.start(), run.end())
        )
    return found


@settings(max_examples=400, deadline=None)
@given(texts, st.sampled_from(list(Syntax)))
def test_the_first_pass_misses_no_card(text: str, syntax: Syntax) -> None:
    view = cards._view(text, syntax)
    assert cards._near_windows(text, syntax)[1] == found_by_runs(view, syntax)


@settings(max_examples=300, deadline=None)
@given(texts, st.sampled_from(list(Syntax)))
def test_long_runs_read_as_short_ones(text: str, syntax: Syntax) -> None:
    short = cards.SHORT_RUN
    cards.SHORT_RUN = 0  # every run the long way
    try:
        long_way = find_cards(text, syntax)
    finally:
        cards.SHORT_RUN = short
    assert long_way == find_cards(text, syntax)


def test_a_card_deep_in_a_long_run_of_digits_is_found() -> None:
    before = "1 " * 50_000
    text = before + "4111 1111 1111 1111 " + "1 " * 50_000
    card = len(before), len(before) + 19
    assert any(f.start <= card[0] and card[1] <= f.end for f in find_cards(text))
