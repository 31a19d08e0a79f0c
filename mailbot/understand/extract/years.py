"""How many years a renewal is asked for, in Italian and English (pure).

Accepted: digits or number words one to ten before "anno/anni/year/years" ("per 2 anni", "due anni",
"for three years", "3-year", "un anno") and the table form "Anni: 2" / "Years\t2". Not counted: time
in the past or the customer's history ("2 anni fa", "3 years ago", "da 5 anni", "since 4 years",
"oltre 20 anni"). Adjectives ("biennale", "annuale") are left out: "annuale" usually names the
cadence, not a count. A number out of range (0 or more than 10) is reported as invalid only when it
is clearly a request: after "per/for/di/of", a renewal verb, or a table label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailbot.understand.identifiers import validate_years

NUMBER_WORDS: dict[str, int] = {
    "un": 1,
    "uno": 1,
    "una": 1,
    "due": 2,
    "tre": 3,
    "quattro": 4,
    "cinque": 5,
    "sei": 6,
    "sette": 7,
    "otto": 8,
    "nove": 9,
    "dieci": 10,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}

_NUMBER = r"\d{1,3}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_LEAD = r"per|for|di|of|rinnov\w*|renew\w*|x"
_PHRASE = re.compile(
    rf"(?<![\w.,])(?:(?P<lead>{_LEAD})\s+)?(?P<n>{_NUMBER})[\s-]*(?:anni|anno|years?|yrs?)\b(?!\s+(?:fa|ago)\b)",
    re.I,
)
_TABLE = re.compile(
    rf"(?<![a-z])(?:anni|years|durata(?:\s+rinnovo)?|duration|numero\s+(?:di\s+)?anni|number\s+of\s+years)"
    rf"\s*[:=\t|]\s*(?P<n>{_NUMBER})\b(?!\s*(?:mesi|months?))",
    re.I,
)
_PAST = re.compile(r"(?:\bda|\bsince|\boltre|\bpiù\s+di|\bover|\bthan|\bultimi|\blast|\bpast)\s+$", re.I)


@dataclass(frozen=True)
class YearsFound:
    pos: int
    text: str
    years: int
    reason: str | None


def find_years(text: str) -> list[YearsFound]:
    """Every mention of a number of years, in order; ``reason`` is set for an out-of-range request."""
    found: list[YearsFound] = []
    for match in _PHRASE.finditer(text):
        if _PAST.search(text[max(0, match.start() - 12) : match.start()]):
            continue
        _append(found, match, requested=match.group("lead") is not None)
    for match in _TABLE.finditer(text):
        _append(found, match, requested=True)
    found.sort(key=lambda item: item.pos)
    return found


def _append(found: list[YearsFound], match: re.Match[str], *, requested: bool) -> None:
    word = match.group("n").lower()
    years = int(word) if word.isdigit() else NUMBER_WORDS[word]
    reason = validate_years(years)
    if reason is not None and not requested:
        return
    found.append(YearsFound(match.start(), match.group().strip(), years, reason))
