"""Text any database takes: NUL and lone surrogates made U+FFFD, values cut to their column, on every path
into the database; and a message whose preparing breaks is kept by its bytes."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from mailbot.db.engine import json_dumps, session_factory, transaction
from mailbot.db.models import AuditEvent
from mailbot.intake import prepare
from mailbot.storable import storable, storable_json


def test_storable_replaces_nul_and_lone_surrogates_and_keeps_the_rest() -> None:
    assert storable("hi\x00there") == "hi\ufffdthere"
    assert storable("caf\udce9 \ud800x") == "caf\ufffd \ufffdx"
    text = "già € 😀 \x01\x1b"  # everything else stays: controls are for printers to show, not to drop
    assert storable(text) is text


def test_storable_json_mends_every_string_keys_included() -> None:
    value = {"a\x00": ["x\ud800", {"k": "v\x00"}, 3, None, 1.5], "b": ("t",)}
    assert storable_json(value) == {"a\ufffd": ["x\ufffd", {"k": "v\ufffd"}, 3, None, 1.5], "b": ["t"]}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"s": "a\x00b"}, {"s": "a\ufffdb"}),
        ({"s": "a\udce9b"}, {"s": "a\ufffdb"}),  # orjson refuses it
        ({"big": 2**70, "s": "\x00"}, {"big": 2**70, "s": "\ufffd"}),  # beyond orjson: json.dumps
        ({"s": "a\\u0000b"}, {"s": "a\\u0000b"}),  # the six characters written out are text, kept
    ],
)
def test_json_columns_are_written_storable(value: dict[str, object], expected: dict[str, object]) -> None:
    assert json.loads(json_dumps(value)) == expected


def test_every_text_column_and_json_document_is_stored_storable_and_cut_to_length(engine: Engine) -> None:
    sessions = session_factory(engine)
    now = datetime(2025, 3, 10, tzinfo=UTC)
    with transaction(sessions) as session:
        session.add(
            AuditEvent(
                at=now,
                actor="a\x00b",
                action="x" * 500,
                entity="e",
                entity_id="1",
                details={"note": "n\x00", "k\udce9": 1},
                message_ref="m" * 999,
            )
        )
    with sessions() as session:
        row = session.scalars(select(AuditEvent)).one()
        assert (row.actor, len(row.action), len(row.message_ref or "")) == ("a\ufffdb", 80, 250)
        assert row.details == {"note": "n\ufffd", "k\ufffd": 1}
        # A look-up by value goes through the same type, so it finds the value as stored.
        assert session.scalars(select(AuditEvent).where(AuditEvent.actor == "a\x00b")).one() is row


def test_the_envelope_is_made_storable_and_the_key_stays_exact() -> None:
    p = prepare.prepare_raw(b"Message-ID: <a\x00b@example.org>\r\nSubject: =?utf-8?b?aGkAdGhlcmU=?=\r\n\r\nx\r\n")
    assert p.envelope.message_id == "a\ufffdb@example.org" and p.envelope.subject == "hi\ufffdthere"
    # The key is made of the id as it came: two ids that would read alike once mended are not one message.
    assert p.key == "mid-sha256:" + hashlib.sha256(b"a\x00b@example.org").hexdigest()
    assert prepare.prepare_raw(b"Message-ID: <a\xef\xbf\xbdb@example.org>\r\n\r\nx\r\n").key != p.key
    # Bytes that are not UTF-8 in a Message-ID are read one character a byte, never all as U+FFFD.
    keys = {prepare.prepare_raw(b"Message-ID: " + t + b"\r\n\r\nx\r\n").key for t in (b"<a\xffb@x>", b"<a\xfeb@x>")}
    assert keys == {"a\xffb@x", "a\xfeb@x"}


def test_a_message_whose_preparing_breaks_is_kept_by_its_bytes_with_its_card_numbers_redacted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(raw: bytes) -> object:
        raise RecursionError("a defect met on these bytes")

    monkeypatch.setattr(prepare, "redact_and_parse", broken)
    raw = b"Subject: carta 4111 1111 1111 1111\r\nMessage-ID: <x@example.org>\r\n\r\ncarta 4111111111111111\r\n"
    p = prepare.prepare_raw(raw)
    assert b"4111 1111 1111 1111" not in p.redacted and b"4111111111111111" not in p.redacted
    assert p.card_found and p.envelope == prepare.Envelope(None, None, None) and p.parsed is None
    assert p.key == "unreadable-sha256:" + hashlib.sha256(p.redacted).hexdigest()
