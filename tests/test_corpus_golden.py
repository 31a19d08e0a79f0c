"""The golden corpus: every ``tests/corpus/NAME.eml`` understood and compared with ``NAME.json``.

A golden file holds the expected subset of the dry-run answer (``to_json``): each key it names must be
equal in full (so ``"fields": {}`` proves nothing was extracted). A bug found in the field becomes a
new pair here, named after it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mailbot.understand.reading import to_json, understand
from mailbot.understand.rules import FIELDS, INTENTS, RuleSet

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(CORPUS.glob("*.eml"))
OWN = frozenset({"rinnovi@example.it"})
CONTRACT = {
    "file",
    "message_id",
    "sender",
    "kind",
    "bounce",
    "intent",
    "intents",
    "fields",
    "invalid",
    "card_number_detected",
    "needs_review",
    "reply_text",
    "rules",
}


def golden(eml: Path) -> dict[str, Any]:
    expected: dict[str, Any] = json.loads(eml.with_suffix(".json").read_text(encoding="utf-8"))
    return expected


@pytest.mark.parametrize("eml", CASES, ids=[p.stem for p in CASES])
def test_golden(eml: Path, rules: RuleSet) -> None:
    expected = golden(eml)
    assert set(expected) <= CONTRACT, f"{eml.name}: golden keys outside the contract"
    got = to_json(understand(eml.read_bytes(), rules, own_addresses=OWN), eml.name)
    assert {key: got[key] for key in expected} == expected


def test_corpus_covers_every_intent_field_and_kind() -> None:
    answers = [golden(p) for p in CASES]
    assert {a["intent"] for a in answers} == set(INTENTS)
    assert set().union(*(a.get("fields", {}) for a in answers)) == set(FIELDS)
    assert {a["kind"] for a in answers if "kind" in a} == {"human", "auto_reply", "bounce", "list"}
    assert any(a.get("invalid") for a in answers) and any(a.get("card_number_detected") for a in answers)


def test_corpus_has_every_encoding() -> None:
    encodings = set()
    for eml in CASES:
        head = eml.read_bytes().lower()
        for marker in (b"iso-8859-1", b"windows-1252", b"quoted-printable", b"base64", b"text/html"):
            if marker in head:
                encodings.add(marker.decode())
    assert encodings == {"iso-8859-1", "windows-1252", "quoted-printable", "base64", "text/html"}
    assert all(eml.with_suffix(".json").exists() for eml in CASES)
