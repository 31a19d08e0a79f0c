"""Attachments of a processed message: one row each, safe name, size and SHA-256, data up to the limit."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage

from sqlalchemy import select

from mailbot.act.pipeline import process_inbound
from mailbot.app import App, create_app
from mailbot.db.engine import transaction
from mailbot.db.models import InboundAttachment
from mailbot.intake.store import Origin, store_many, store_raw
from mailbot.paths import rules_dir
from mailbot.understand.rules import load_rules
from tests.support.inbound import process_seeing_sql

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def message_with_attachments() -> bytes:
    msg = EmailMessage()
    msg["From"] = "ufficio@comune.esempio.it"
    msg["To"] = "rinnovi@example.it"
    msg["Subject"] = "Determina di impegno"
    msg["Message-ID"] = "<att-1@comune.esempio.it>"
    msg.set_content("Buongiorno, in allegato la determina e il modulo.\n")
    msg.add_attachment(b"%PDF-1.4 small", maintype="application", subtype="pdf", filename="../../etc/determina.pdf")
    msg.add_attachment(b"x" * 5000, maintype="application", subtype="octet-stream", filename="modulo\x07.bin")
    return msg.as_bytes()


def test_attachments_stored_with_safe_names_and_the_size_limit(app: App) -> None:
    limited = replace(app.config, inbound=replace(app.config.inbound, max_attachment_bytes=1000))
    small_app = create_app(limited, engine=app.engine)
    with transaction(small_app.sessions) as session:
        stored = store_raw(session, message_with_attachments(), Origin("pipe"), now=NOW, config=limited)
    process_inbound(small_app, stored.inbound_id, NOW, load_rules(rules_dir()))
    with small_app.sessions() as session:
        rows = list(session.scalars(select(InboundAttachment).order_by(InboundAttachment.id)))
    assert [(r.filename, r.content_type, r.size) for r in rows] == [
        ("determina.pdf", "application/pdf", 14),
        ("modulo_.bin", "application/octet-stream", 5000),
    ]
    assert rows[0].data == b"%PDF-1.4 small"
    assert rows[1].data is None  # over the limit: not kept, but its size and hash are
    assert rows[1].sha256 == hashlib.sha256(b"x" * 5000).hexdigest()
    assert all(r.inbound_id == stored.inbound_id for r in rows)


def test_a_batchs_attachments_go_in_with_one_insert_and_the_same_rows(app: App) -> None:
    """In ``process_many`` the attachments are held and inserted together (``db.held``): one
    statement for the batch, kept or over the limit alike, each row as one at a time would write it."""
    limited = replace(app.config, inbound=replace(app.config.inbound, max_attachment_bytes=1000))
    small_app = create_app(limited, engine=app.engine)
    raws = [message_with_attachments().replace(b"att-1@", f"att-{n}@".encode()) for n in range(3)]
    with transaction(small_app.sessions) as session:
        ids = [
            r.inbound_id for r in store_many(session, list(enumerate(raws)), Origin("imap"), now=NOW, config=limited)
        ]
    _, statements = process_seeing_sql(small_app, ids, load_rules(rules_dir()))
    inserts = [q for q, _ in statements if q.startswith("INSERT INTO inbound_attachment")]
    assert len(inserts) == 1
    with small_app.sessions() as session:
        rows = list(session.scalars(select(InboundAttachment).order_by(InboundAttachment.id)))
    assert [(r.inbound_id, r.filename, r.size, r.data is None) for r in rows] == [
        (i, name, size, over)
        for i in ids
        for name, size, over in (("determina.pdf", 14, False), ("modulo_.bin", 5000, True))
    ]
    assert rows[0].data == b"%PDF-1.4 small" and rows[1].sha256 == hashlib.sha256(b"x" * 5000).hexdigest()
