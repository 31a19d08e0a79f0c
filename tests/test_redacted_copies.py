"""The copies of a message we leave behind (the IMAP server's processed, review and quarantine folders, the
Maildir's sub-folders) are the redacted message we stored, never the original with a card number: on the
first pass, with the IMAP moves on the listener's connection or on the second one, and for a message left
in the incoming folder by a crash. Dovecot for IMAP (skipped when absent)."""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from mailbot.app import App
from mailbot.config import ImapConfig
from mailbot.intake.imap.listener import connect_imap, drain_mailbox
from mailbot.intake.maildir import message_files, poll_maildir
from mailbot.testing.dovecot import DovecotServer
from mailbot.understand.rules import RuleSet
from tests.support.imap import FOLDERS, Crash, CrashOnMove, assert_each_in_its_folder, imap_only, make_app, variant
from tests.support.inbound import rows
from tests.support.maildir import NOW, deliver

CORPUS = Path(__file__).parent / "corpus"
CARD = re.compile(rb"4111[ ]?1111[ ]?1111[ ]?1111")
WITH_CARD = (CORPUS / "card_change_with_card_number_it.eml").read_bytes()
WITHOUT = (CORPUS / "other_it.eml").read_bytes()


def crlf(raw: bytes) -> bytes:
    """As an IMAP server gives them back."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def stored_copies(app: App) -> dict[str, bytes]:
    """Message-ID -> the stored (redacted) bytes."""
    return {r.message_id or "": zlib.decompress(r.raw_compressed) for r in rows(app)}


def server_copies(srv: DovecotServer) -> list[bytes]:
    found = []
    with srv.session() as client:
        for folder in ("INBOX", *FOLDERS):
            if not client.folder_exists(folder):
                continue
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            found += [bytes(v[b"BODY[]"]) for v in client.fetch(uids, [b"BODY.PEEK[]"]).values()] if uids else []
    return found


def test_the_maildir_keeps_the_redacted_copy_of_a_message_with_a_card_number(app: App, rules: RuleSet) -> None:
    root = app.config.path(app.config.inbound.maildir)
    deliver(root, "1000.card.host", WITH_CARD)
    deliver(root, "1001.plain.host", WITHOUT)
    poll_maildir(app, rules, lambda: NOW)
    assert message_files(root) == []
    kept = {p.name: p.read_bytes() for p in root.glob(".*/cur/*")}
    assert set(kept) == {"1000.card.host:2,", "1001.plain.host:2,"}
    stored = stored_copies(app)
    assert kept["1000.card.host:2,"] == stored["case007@client.example.org"] != WITH_CARD
    assert not CARD.search(kept["1000.card.host:2,"]) and b"****1111" in kept["1000.card.host:2,"]
    assert kept["1001.plain.host:2,"] == WITHOUT  # nothing to redact: the very file, moved
    assert not any(CARD.search(p.read_bytes()) for p in root.rglob("*") if p.is_file())


@imap_only
@pytest.mark.parametrize("parallel", [False, True], ids=["inline", "mover"])
def test_the_imap_folders_keep_the_redacted_copy_of_a_message_with_a_card_number(
    parallel: bool, server: DovecotServer, tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet
) -> None:
    app = make_app(tmp_path, db_url, engine, server, overlap=parallel, fetch_batch=2)
    server.append(
        [
            crlf(variant(raw, tag))
            for raw, tag in [(WITHOUT, "p1"), (WITH_CARD, "c1"), (WITHOUT, "p2"), (WITH_CARD, "c2")]
        ]
    )
    drain_mailbox(app, rules)
    assert_each_in_its_folder(app, server)
    copies = server_copies(server)
    assert len(copies) == 4 and not any(CARD.search(c) for c in copies)
    stored = stored_copies(app)
    assert stored["c1@test.example.org"] in copies and stored["c2@test.example.org"] in copies


@imap_only
def test_a_message_with_a_card_number_left_in_the_folder_by_a_crash_is_replaced_when_moved(
    server: DovecotServer, tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet
) -> None:
    app = make_app(tmp_path, db_url, engine, server)
    server.append([crlf(WITH_CARD)])

    def connect(imap: ImapConfig) -> Any:
        return CrashOnMove(connect_imap(imap))

    with pytest.raises(Crash):
        drain_mailbox(app, rules, connect=connect)
    assert CARD.search(server_copies(server)[0])  # still the original, in the incoming folder
    drain_mailbox(app, rules)  # the leftover goes where its status says, redacted
    assert_each_in_its_folder(app, server)
    assert server_copies(server) == [stored_copies(app)["case007@client.example.org"]]


class CrashAfterAppend:
    """A connection that dies right after the server took the redacted copy, before the original is deleted."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def append(self, *args: Any, **kw: Any) -> Any:
        self._client.append(*args, **kw)
        raise Crash("killed after the APPEND")


@imap_only
def test_a_kill_between_the_redacted_copy_and_the_deletion_of_the_original_leaves_one_copy(
    server: DovecotServer, tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet
) -> None:
    app = make_app(tmp_path, db_url, engine, server)
    server.append([crlf(WITH_CARD), crlf(variant(WITHOUT, "p1"))])

    def connect(imap: ImapConfig) -> Any:
        return CrashAfterAppend(connect_imap(imap))

    with pytest.raises(Crash):
        drain_mailbox(app, rules, connect=connect)
    assert len(server_copies(server)) == 3  # the original still in the incoming folder, its copy in review
    drain_mailbox(app, rules)  # the copy is there already: only the original goes
    assert_each_in_its_folder(app, server)
    copies = server_copies(server)
    assert len(copies) == 2 and copies.count(stored_copies(app)["case007@client.example.org"]) == 1
