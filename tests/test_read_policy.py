"""``mime.READ_POLICY`` parses each header value once, and reads every message of the corpus exactly
as ``policy.default`` does (types, charsets, names, dispositions, transfer encodings, payloads)."""

from __future__ import annotations

import email
from email import policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from mailbot.understand import mime
from mailbot.understand.mime import READ_POLICY
from mailbot.understand.reading import read_message
from mailbot.understand.redaction.message import redact_and_parse, redact_raw_message

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.eml"))


def described(part: Message) -> tuple[Any, ...]:
    return (
        part.get_content_type(),
        part.get_content_charset(),
        part.get_filename(),
        part.get_content_disposition(),
        str(part.get("Content-Transfer-Encoding", "")),
        part.get_boundary(),
        part.get_payload(decode=True),
        [type(d).__name__ for d in part.defects],
    )


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_every_corpus_message_reads_as_with_policy_default(path: Path) -> None:
    raw = path.read_bytes()
    ours = email.message_from_bytes(raw, policy=READ_POLICY)
    theirs = email.message_from_bytes(raw, policy=policy.default)
    assert [described(p) for p in ours.walk()] == [described(p) for p in theirs.walk()]
    assert mime.parse_message(raw) == mime.parse_message(raw)  # and the cache does not leak between reads


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_the_redactions_parse_read_again_gives_the_same_message(path: Path) -> None:
    raw = path.read_bytes()
    redacted, found, parsed = redact_and_parse(raw)
    assert (redacted, found) == redact_raw_message(raw)
    if found:  # the parse handed on is the check's, of the redacted bytes
        raw = redacted
    assert parsed is not None and redacted is raw
    assert mime.parse_message(raw, parsed) == mime.parse_message(raw)
    assert read_message(raw, redacted=True, parsed=parsed) == read_message(raw, redacted=True)


def test_a_header_value_is_parsed_once() -> None:
    mime._parsed_header.cache_clear()
    raw = b"Subject: hi\nFrom: Anna <anna@example.org>\nContent-Type: text/plain;\n charset=utf-8\n\nbody\n"
    msg = email.message_from_bytes(raw, policy=READ_POLICY)
    first, second = msg["Content-Type"], msg["Content-Type"]
    assert first is second and first.params["charset"] == "utf-8"  # unfolded as policy.default unfolds
    assert msg["Subject"] is msg["Subject"] and msg["From"] is msg["From"]
    assert msg["From"].addresses[0].addr_spec == "anna@example.org"
    assert mime._parsed_header.cache_info().misses == 3
    msg.replace_header("Subject", "changed")  # set, not fetched: policy.default's own code
    assert msg["Subject"] == "changed"
