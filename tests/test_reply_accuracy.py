"""How well mailbot understands replies no one here wrote: the corpus of ``tests/replies``.

Each ``NAME.eml`` there has a golden ``NAME.json`` written from what the message says (see
``tests/replies/README.md``): every request in acting order (``intents``), the valid values given
(``fields``) and the values that fail their check (``invalid``). The message is understood as the dry
run does (``mailbot parse``: no matched customer) and scored on two figures:

- intents: the list of requests is exactly the golden one;
- fields: ``fields`` and the invalid values (field and value as written) are exactly the golden ones.

Both are printed per writer's set (``pytest -s``) with every miss, and the test fails when a set is
below its bar: the issue's aim (97 %) for the sets tuned on, and for the sets held out (``HELD_OUT``)
where the parser stood when they came in. Kept apart from the extractors' unit tests: it measures, they
specify.
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from mailbot.domain import ACTING_ORDER
from mailbot.understand.extract.labels import LIST_FIELDS
from mailbot.understand.identifiers import check_field
from mailbot.understand.reading import Understanding, understand
from mailbot.understand.rules import FIELDS, RuleSet

REPLIES = Path(__file__).parent / "replies"
CASES = sorted(REPLIES.glob("*.eml"))
OWN = frozenset({"rinnovi@example.it"})
AIM = 0.97
# The sets held out from tuning, with where the parser stood on them when they came in: the honest
# measure of replies no one here wrote. They are held to those figures (a ratchet: raise them as the
# parser improves, never lower them); every other set, tuned on, is held to the aim. A fresh set comes
# in here; tuning on it moves it out, once a newer set is here to measure the next round.
# Measured 2026-12-05: hf_ came in at 82 % / 95 % and hg_ at 87 % / 92 % (he_, the set before, at 85 % /
# 93 %). Tuning on he_ and then on hf_ (families, not cases) raised each to 99 % and hg_ to 89 % / 94 %:
# a tuned set says little about the next writer's. hg_ was then tuned on too (99 % / 97 %), and hi_,
# written after all that tuning with an emphasis on one-liners, requests only in the Subject, dialect
# and questions that are requests, came in at 77 % / 91 %; hh_ (long chatty letters, bureaucratic
# Italian, two services with different wishes) at 81 % / 85 %. Reading the sender's own Subject (a new
# message's, or one the text points to: "vedi oggetto"), a family the issue names and hi_'s brief asked
# for, raised hi_ to 83 % and left hh_ where it was.
HELD_OUT: dict[str, tuple[float, float]] = {"hh": (0.81, 0.85), "hi": (0.83, 0.91)}


@dataclass(frozen=True)
class Score:
    name: str
    intents_ok: bool
    fields_ok: bool
    misses: tuple[str, ...]


def golden(eml: Path) -> dict[str, Any]:
    answer: dict[str, Any] = json.loads(eml.with_suffix(".json").read_text(encoding="utf-8"))
    return answer


def score(eml: Path, understanding: Understanding) -> Score:
    expected = golden(eml)
    got_intents = [str(i) for i in understanding.intents]
    got_fields = {k: list(v) if isinstance(v, list | tuple) else v for k, v in understanding.fields.items()}
    got_invalid = sorted((v.field, v.value) for v in understanding.invalid)
    want_invalid = sorted((v["field"], v["value"]) for v in expected["invalid"])
    misses = []
    if got_intents != expected["intents"]:
        misses.append(f"intents {got_intents} != {expected['intents']}")
    if got_fields != expected["fields"]:
        misses.append(f"fields {got_fields} != {expected['fields']}")
    if got_invalid != want_invalid:
        misses.append(f"invalid {got_invalid} != {want_invalid}")
    fields_ok = got_fields == expected["fields"] and got_invalid == want_invalid
    return Score(eml.stem, got_intents == expected["intents"], fields_ok, tuple(misses))


@pytest.fixture(scope="module")
def scores(rules: RuleSet) -> Iterator[list[Score]]:
    yield [score(eml, understand(eml.read_bytes(), rules, own_addresses=OWN)) for eml in CASES]


def message_text(raw: bytes) -> str:
    """The Subject and every text part, decoded, tags and spaces out, upper case: where a golden value
    must be found."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = [str(message.get("Subject", ""))]
    for part in message.walk():
        if part.get_content_maintype() == "text" and isinstance(part, EmailMessage):
            parts.append(part.get_content())
    text = html.unescape(re.sub(r"<[^>]+>", " ", "\n".join(parts)))
    return re.sub(r"\s", "", text).upper()


@pytest.mark.parametrize("eml", CASES, ids=[p.stem for p in CASES])
def test_every_golden_answer_is_well_formed(eml: Path) -> None:
    """The answers are checked as the writers checked them: shape, acting order, and every value given
    in the message, valid where it is a field and failing its check where it is invalid."""
    order = [str(i) for i in ACTING_ORDER]
    answer = golden(eml)
    assert set(answer) == {"intents", "fields", "invalid", "note"}
    intents = answer["intents"]
    assert intents and all(i in order for i in intents)
    assert intents == sorted(set(intents), key=order.index), "intents not in acting order, or twice"
    assert "other" not in intents or intents == ["other"]
    assert set(answer["fields"]) <= set(FIELDS)
    text = message_text(eml.read_bytes())
    for name, found in answer["fields"].items():
        for value in found if name in LIST_FIELDS else [found]:
            if name == "years":
                assert isinstance(value, int) and 1 <= value <= 10
                continue
            assert check_field(name, str(value)) == (value, None), f"{name} {value!r}"
            assert re.sub(r"\s", "", str(value)).upper() in text, f"{name} {value!r} is not in the message"
    for item in answer["invalid"]:
        assert set(item) == {"field", "value"} and item["field"] in FIELDS
        if item["field"] != "years":
            assert check_field(item["field"], item["value"])[1] is not None, f"{item} passes its check"
        assert re.sub(r"\s", "", item["value"]).upper() in text, f"{item} is not in the message"


def test_understanding_meets_the_bars(scores: list[Score]) -> None:
    if not scores:
        pytest.skip("no replies in tests/replies")
    total = len(scores)
    intents = sum(s.intents_ok for s in scores) / total
    fields = sum(s.fields_ok for s in scores) / total
    misses = [f"  {s.name}: " + "; ".join(s.misses) for s in scores if s.misses]
    print(f"\nreplies: {total}, intents right {intents:.1%}, every field right {fields:.1%}")
    below = []
    for prefix in sorted({s.name.split("_")[0] for s in scores}):  # each writer's set
        group = [s for s in scores if s.name.startswith(prefix + "_")]
        right = sum(s.intents_ok for s in group) / len(group), sum(s.fields_ok for s in group) / len(group)
        bar = HELD_OUT.get(prefix, (AIM, AIM))
        held = " (held out)" if prefix in HELD_OUT else ""
        print(f"  {prefix}_*: {len(group)} replies, intents {right[0]:.1%}, fields {right[1]:.1%}{held}")
        if right[0] < bar[0] or right[1] < bar[1]:
            below.append(f"{prefix}_: intents {right[0]:.1%}, fields {right[1]:.1%} below {bar[0]:.0%} / {bar[1]:.0%}")
    print("\n".join(misses))
    assert not below, "\n".join(below) + "\nmisses:\n" + "\n".join(misses)
