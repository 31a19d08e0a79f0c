"""``prepare.read_envelope``: the Message-ID, sender and subject a message is stored and deduplicated by,
read the same from a parse the reading already made as from a parse of the headers alone."""

from __future__ import annotations

import email
from pathlib import Path

import pytest

from mailbot.intake.prepare import Envelope, dedup_key, read_envelope
from mailbot.understand.mime import READ_POLICY

CORPUS = Path(__file__).parent / "corpus"
SHARED = Path(__file__).parents[2] / "shared" / "corpus"

EIGHT_BIT = "From: Niccolò <n@example.org>\r\nSubject: Perché il rinnovo?\r\nMessage-ID: <c@x.org>\r\n\r\nt\r\n"
EDGES = {
    "folded": b"Message-ID:\r\n <a.1@x.org>\r\nFrom: Ufficio\r\n Acquisti <uff@comune.example.it>\r\n"
    b"Subject: Rinnovo\r\n servizio 2027\r\n\r\ntesto\r\n",
    "encoded": b"From: =?utf-8?q?Jos=C3=A9?= <jose@example.org>\r\nSubject: =?iso-8859-1?q?Citt=E0?= ok\r\n"
    b"Message-ID: <b@x.org>\r\n\r\ntesto\r\n",
    "eight_bit": EIGHT_BIT.encode("latin-1"),
    "twice": b"From: a@example.org\r\nFrom: b@example.org\r\nSubject: uno\r\nSubject: due\r\n"
    b"Message-ID: <d1@x.org>\r\nMessage-ID: <d2@x.org>\r\n\r\nt\r\n",
    "missing": b"From: nobody\r\nX-Other: 1\r\n\r\nt\r\n",
    "broken": b"From <a@b>\r\n: no name\r\nSubject\r\n\r\n",
    "bare_lf": b"Subject: lf only\nFrom: Lf <lf@example.org>\nMessage-ID: <e@x.org>\n\nt\n",
}


def same_either_way(raw: bytes) -> Envelope:
    alone = read_envelope(raw)
    parsed = email.message_from_bytes(raw, policy=READ_POLICY)
    assert read_envelope(raw, parsed) == alone
    return alone


@pytest.mark.parametrize("name", sorted(EDGES))
def test_the_envelope_is_the_same_from_a_parse_as_from_the_headers(name: str) -> None:
    same_either_way(EDGES[name])


def test_what_the_envelope_reads() -> None:
    assert same_either_way(EDGES["folded"]) == Envelope("a.1@x.org", "uff@comune.example.it", "Rinnovo servizio 2027")
    assert same_either_way(EDGES["encoded"]) == Envelope("b@x.org", "jose@example.org", "Città ok")
    assert same_either_way(EDGES["twice"]) == Envelope("d1@x.org", "a@example.org", "uno")  # the first of each
    missing = same_either_way(EDGES["missing"])
    assert missing == Envelope(None, None, None)
    assert dedup_key(missing.message_id, EDGES["missing"]).startswith("sha256:")


def test_the_envelope_is_the_same_either_way_on_the_golden_corpus() -> None:
    files = sorted(CORPUS.glob("*.eml"))
    assert len(files) > 30
    for path in files:
        same_either_way(path.read_bytes())


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared corpus not found at {SHARED}")
def test_the_envelope_is_the_same_either_way_on_the_shared_corpus() -> None:
    files = [p for p in SHARED.rglob("*") if p.is_file() and p.suffix in {".eml", ".msg", ".raw", ".txt", ""}]
    assert len(files) > 900
    for path in files:
        raw = path.read_bytes()
        try:
            same_either_way(raw)
        except AssertionError as exc:
            raise AssertionError(f"{path}: {exc}") from None
