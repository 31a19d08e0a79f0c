"""How many years a renewal is asked for, in Italian and English (pure).

Accepted: digits or number words one to ten before "anno/anni/annualità/year/years" ("per 2 anni",
"due anni", "for three years", "3-year", "un anno", "n. 1 (uno) anno"), with "more" words around the
number ("un altro anno", "altri due anni", "one more year", "another year"), "a year" after "for/per"
or a renewal verb ("for a year"), whole years of months ("12 mesi", "24 months"), the table form
"Anni: 2" / "Years\\t2", and the adjectives and nouns of a renewal's length after a renewal word
("rinnovo biennale", "rinnovo annuale", "rinnovo per il prossimo biennio"; "abbonamento annuale" names
a cadence and is left out).

Not counted: time in the past or the customer's history ("2 anni fa", "3 years ago", "da 5 anni",
"oltre 20 anni"), a time span or a cadence ("in 2 years", "entro 2 anni", "ogni 2 anni"), and a
question about the price ("quanto costa il rinnovo per 3 anni", "how much for 3 years"). A number out
of range (0 or more than 10) is reported as invalid, as the number written ("15"), only when it is
clearly a request: after "per/for/di/of", a renewal verb, or a table label. The word lists are data
in ``labels``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailbot.understand.extract.labels import (
    ARTICLE_NUMBERS,
    MONTH_UNITS,
    NUMBER_WORDS,
    PRICE_QUESTION,
    RENEWAL_WORDS,
    YEAR_ADJECTIVES,
    YEAR_ANOTHER,
    YEAR_MORE_AFTER,
    YEAR_MORE_BEFORE,
    YEAR_NOT_ASKED_AFTER,
    YEAR_NOT_ASKED_BEFORE,
    YEAR_UNITS,
    YEAR_UNITS_BEFORE,
)
from mailbot.understand.identifiers import validate_years

_MONTHS_A_YEAR = 12


def _alternatives(words: tuple[str, ...] | list[str] | frozenset[str]) -> str:
    return "|".join(sorted((w.replace(" ", r"\s+") for w in words), key=len, reverse=True))


_NUMBER = r"\d{1,3}|" + _alternatives(list(NUMBER_WORDS))
# A number that is not an article ("per anni a venire", "per anni un po' ovunque").
_COUNT = r"\d{1,3}|" + _alternatives([w for w in NUMBER_WORDS if w not in (*ARTICLE_NUMBERS, "un", "una")])
_LEAD = r"per|for|di|of|" + RENEWAL_WORDS + r"|x"
_PHRASE = re.compile(
    rf"(?<![\w.,])(?:(?P<lead>{_LEAD})\s+)?"
    rf"(?:(?P<another>{_alternatives(YEAR_ANOTHER)})\s+|(?:(?:{_alternatives(YEAR_MORE_BEFORE)})\s+)?"
    rf"(?P<n>{_NUMBER})(?:\s*\(\s*[^\W_]+\s*\))?(?:\s+(?:{_alternatives(YEAR_MORE_AFTER)}))?[\s-]*)"
    rf"(?:(?P<years>{_alternatives(YEAR_UNITS)})|(?P<months>{_alternatives(MONTH_UNITS)}))(?![^\W\d_])"
    rf"(?!\s+(?:{_alternatives(YEAR_NOT_ASKED_AFTER)})\b)",
    re.I,
)
_TABLE = re.compile(
    rf"(?<![a-z])(?:anni|years|durata(?:\s+rinnovo)?|duration|numero\s+(?:di\s+)?anni|number\s+of\s+years)"
    rf"\s*[:=\t|]\s*(?P<n>{_NUMBER})\b(?!\s*(?:mesi|months?))",
    re.I,
)
# The unit before its number, after "per" or "di": "per anni 2 (due)", "per la durata di anni tre"; not
# a list of calendar years ("per anni 2024 e 2025").
_INVERTED = re.compile(
    rf"(?<![^\W\d_])(?:per|di)\s+(?:{_alternatives(YEAR_UNITS_BEFORE)})\s+(?:n[.°]\s*)?(?P<n>{_COUNT})(?![\w/-])",
    re.I,
)
_ADJECTIVE = re.compile(
    rf"(?<![^\W\d_])(?:{RENEWAL_WORDS})(?:\s+[^\W\d_'’]+['’]?){{0,3}}?\s*(?P<adj>{_alternatives(list(YEAR_ADJECTIVES))})"
    r"(?![^\W\d_])",
    re.I,
)
_NOT_ASKED = re.compile(rf"(?<![^\W\d_])(?:{_alternatives(YEAR_NOT_ASKED_BEFORE)})\s+$", re.I)
_PRICE = re.compile(rf"(?<![^\W\d_])(?:{PRICE_QUESTION})(?![^\W\d_])", re.I)
_SENTENCE_END = re.compile(r"[.!?;]\s|\n\s*\n")


@dataclass(frozen=True)
class YearsFound:
    pos: int
    text: str  # as written: the number ("15"), or the words that say it
    years: int
    reason: str | None


def find_years(text: str) -> list[YearsFound]:
    """Every mention of a number of years, in order; ``reason`` is set for an out-of-range request."""
    found: list[YearsFound] = []
    for match in _PHRASE.finditer(text):
        if _NOT_ASKED.search(text[max(0, match.start() - 12) : match.start()]) or _price_question(text, match.start()):
            continue
        _append_phrase(found, match)
    for match in _INVERTED.finditer(text):
        if not _price_question(text, match.start()):
            _append(found, match.start(), match.group("n"), _number(match.group("n")), requested=True)
    for match in _TABLE.finditer(text):
        _append(found, match.start(), match.group("n"), _number(match.group("n")), requested=True)
    for match in _ADJECTIVE.finditer(text):
        if not _price_question(text, match.start()):
            adjective = match.group("adj")
            found.append(YearsFound(match.start(), adjective, YEAR_ADJECTIVES[adjective.lower()], None))
    found.sort(key=lambda item: item.pos)
    return found


def _price_question(text: str, pos: int) -> bool:
    """A question about the price earlier in the sentence that holds ``pos``."""
    start = 0
    for end in _SENTENCE_END.finditer(text, max(0, pos - 300), pos):
        start = end.end()
    return _PRICE.search(text, start, pos) is not None


def _append_phrase(found: list[YearsFound], match: re.Match[str]) -> None:
    lead = match.group("lead")
    if match.group("another"):
        if match.group("years"):
            found.append(YearsFound(match.start(), match.group().strip(), 1, None))
        return
    word = match.group("n")
    if word.lower() in ARTICLE_NUMBERS and (lead is None or lead.lower() in ("di", "of")):
        return  # "once a year", "the cost of a year"
    count = _number(word)
    if match.group("months"):
        if count % _MONTHS_A_YEAR or not count:
            return  # months that make no whole number of years say no renewal's length
        count //= _MONTHS_A_YEAR
    _append(found, match.start(), word, count, requested=lead is not None)


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word.lower()]


def _append(found: list[YearsFound], pos: int, written: str, years: int, *, requested: bool) -> None:
    reason = validate_years(years)
    if reason is not None and not requested:
        return
    found.append(YearsFound(pos, written, years, reason))
