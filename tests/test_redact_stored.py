"""``mailbot db redact``: card numbers that earlier versions stored in clear (in the raw message, what was
read from it, tickets, audit, replies, attachments, the Maildir's copies) masked once, on SQLite and
PostgreSQL; a dry run changes nothing; a second run finds nothing."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from sqlalchemy import Engine

from mailbot.app import App
from mailbot.cli import main
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent, InboundAttachment, InboundMessage, OutboundMessage, Ticket
from mailbot.domain import TicketKind
from mailbot.intake.redact_stored import redact_maildir, redact_stored
from tests.support.maildir import NOW
from tests.support.stored import holding

CARD = "4111111111111111"
WRITTEN = "4111.1111.1111.1111"  # a way an earlier version did not read as a card number
RAW = (
    "From: Mario Rossi <mario@example.org>\r\nTo: rinnovi@example.it\r\nMessage-ID: <old@example.org>\r\n"
    f"Subject: carta {WRITTEN}\r\n\r\nLa mia carta: {WRITTEN} grazie\r\n"
).encode()


def seed_as_an_earlier_version_stored_it(app: App) -> None:
    with transaction(app.sessions) as session:
        inbound = InboundMessage(
            dedup_key="old@example.org",
            message_id="old@example.org",
            sha256="x",
            raw_compressed=zlib.compress(RAW),
            size=len(RAW),
            source="pipe",
            received_at=NOW,
            subject=f"carta {WRITTEN}",
            understanding={"new_text": f"La mia carta: {WRITTEN}", "fields": {"note": [WRITTEN]}},
        )
        session.add(inbound)
        session.flush()
        session.add(
            InboundAttachment(
                inbound_id=inbound.id,
                filename=f"carta {WRITTEN}.txt",
                content_type="text/plain",
                size=20,
                sha256="x",
                data=f"numero {WRITTEN}\n".encode(),
            )
        )
        wide = "４１１１ １１１１ １１１１ １１１１"  # full-width digits, in UTF-8
        session.add(
            InboundAttachment(
                inbound_id=inbound.id,
                filename="nota.txt",
                content_type="text/plain",
                size=20,
                sha256="x",
                data=f"numero {wide}\n".encode(),
            )
        )
        session.add(
            Ticket(
                kind=TicketKind.SUPPORT,
                intent="card_change",
                summary=f"card {WRITTEN}",
                details={"subject": f"carta {WRITTEN}"},
                inbound_id=inbound.id,
            )
        )
        session.add(AuditEvent(actor="mailbot", action="x", entity="inbound", entity_id="1", details={"text": WRITTEN}))
        session.add(
            OutboundMessage(
                idempotency_key="reply:1:reply_received",
                template="reply_received",
                language="it",
                to_address="mario@example.org",
                subject=f"Re: carta {WRITTEN}",
                body_text=f"> {WRITTEN}",
                body_html=f"<p>{WRITTEN}</p>",
                message_id="<r1@example.it>",
                reply_token="tok12345abc",
                details={},
            )
        )


def test_redact_masks_what_earlier_versions_stored_in_clear(app: App, engine: Engine) -> None:
    seed_as_an_earlier_version_stored_it(app)
    before = holding(engine, CARD)
    assert len(before) >= 10, before  # the seed holds it everywhere

    counted = redact_stored(app.sessions, dry_run=True)
    assert counted.changed["inbound_message.raw"] == 1 and counted.changed["ticket.summary"] == 1
    assert holding(engine, CARD) == before  # a dry run changes nothing

    done = redact_stored(app.sessions)
    assert done.changed == counted.changed
    assert holding(engine, CARD) == []
    with app.sessions() as session:
        row = session.get_one(InboundMessage, 1)
        assert row.card_number_detected and b"****1111" in zlib.decompress(row.raw_compressed)
    assert redact_stored(app.sessions).changed == {}  # nothing left: a second run changes nothing


def test_redact_rewrites_the_maildir_copies(tmp_path: Path) -> None:
    root = tmp_path / "maildir"
    for folder in (".review", ".processed"):
        (root / folder / "cur").mkdir(parents=True)
    (root / ".review" / "cur" / "1.host:2,").write_bytes(RAW)
    (root / ".processed" / "cur" / "2.host:2,").write_bytes(b"Subject: ciao\r\n\r\nnulla\r\n")
    assert redact_maildir(root, dry_run=True).changed == {"maildir .review": 1}
    assert (root / ".review" / "cur" / "1.host:2,").read_bytes() == RAW
    assert redact_maildir(root).changed == {"maildir .review": 1}
    assert CARD not in (root / ".review" / "cur" / "1.host:2,").read_bytes().replace(b".", b"").decode()
    assert (root / ".processed" / "cur" / "2.host:2,").read_bytes() == b"Subject: ciao\r\n\r\nnulla\r\n"
    assert redact_maildir(root).changed == {}


def test_the_command_says_what_it_changed(
    app: App, engine: Engine, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_as_an_earlier_version_stored_it(app)
    assert main(["--config", str(config_file), "db", "redact", "--dry-run"]) == 0
    assert "would change" in capsys.readouterr().out and holding(engine, CARD)
    assert main(["--config", str(config_file), "db", "redact"]) == 0
    out = capsys.readouterr().out
    assert "inbound_message.raw: 1 changed" in out and out.rstrip().splitlines()[-1].startswith("redact: ")
    assert holding(engine, CARD) == []
