"""Card numbers masked in what was stored before the masking could see them (``mailbot db redact``).

Versions before the redaction of ``redaction`` missed card numbers written with some separators, in
some headers, in attachment names, in broken MIME... and stored them. This goes once over what a
message leaves in the database, in batches of ``BATCH`` rows (one transaction each, keyed by id, so it
can be stopped and run again): the raw message (redacted as a new one would be, its SHA-256 and size
with it), and every text or JSON value that came from email (``COLUMNS``: subjects, errors, the
understanding, attachment names and text attachments, tickets, audit details, the automatic replies).
A value with no card number is left untouched. With ``dry_run`` it only counts.

The copies earlier versions left in the Maildir's sub-folders are rewritten too (``redact_maildir``);
those left on an IMAP server are not (move or delete them there by hand: ``mailbot tickets show``
names the messages that held a card number).
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from mailbot.db.models import AuditEvent, InboundAttachment, InboundMessage, OutboundMessage, Ticket
from mailbot.intake.maildir import STATUS_FOLDERS, write_atomically
from mailbot.outbound.context import REPLY_TEMPLATES
from mailbot.storable import map_strings
from mailbot.understand.cards.find import redact_in_place, redact_text
from mailbot.understand.redaction.message import redact_and_parse
from mailbot.understand.redaction.parts import is_text_like_type, redact_bytes

log = logging.getLogger(__name__)

BATCH = 200
# The values that came from email, by table: text columns, then JSON columns.
COLUMNS: dict[type[Any], tuple[tuple[str, ...], tuple[str, ...]]] = {
    InboundMessage: (("subject", "error"), ("understanding",)),
    InboundAttachment: (("filename",), ()),
    Ticket: (("summary", "resolution"), ("details",)),
    AuditEvent: ((), ("details",)),
    OutboundMessage: (("subject", "body_text", "body_html", "last_error"), ("details",)),
}


@dataclass
class Redacted:
    """What was (or, in a dry run, would be) changed: rows per table and column, Maildir files."""

    changed: dict[str, int] = field(default_factory=dict)

    def count(self, where: str) -> None:
        self.changed[where] = self.changed.get(where, 0) + 1


def redact_stored(sessions: sessionmaker[Session], *, dry_run: bool = False) -> Redacted:
    """Mask every card number left in the database by earlier versions (see the module's docstring)."""
    done = Redacted()
    for model, (texts, documents) in COLUMNS.items():
        where = OutboundMessage.template.in_(REPLY_TEMPLATES) if model is OutboundMessage else None
        for rows in _batches(sessions, model, where, dry_run=dry_run):
            for row in rows:
                if isinstance(row, InboundMessage):
                    _redact_raw(row, done)
                if isinstance(row, InboundAttachment):
                    _redact_attachment(row, done)
                for name in texts:
                    _redact_value(row, name, redact_text, done)
                for name in documents:
                    _redact_value(row, name, _document, done)
    return done


def _batches(sessions: sessionmaker[Session], model: type[Any], where: Any, *, dry_run: bool) -> Iterator[list[Any]]:
    key: InstrumentedAttribute[int] = model.id
    last = 0
    while True:
        with sessions() as session:  # closed without a commit: rolled back
            query = select(model).where(key > last).order_by(key).limit(BATCH)
            rows = list(session.scalars(query if where is None else query.where(where)))
            if not rows:
                return
            last = rows[-1].id
            yield rows
            if not dry_run:
                session.commit()


def _redact_raw(row: InboundMessage, done: Redacted) -> None:
    raw = zlib.decompress(row.raw_compressed)
    redacted, found, _parsed = redact_and_parse(raw)
    if redacted == raw:
        return
    row.raw_compressed = zlib.compress(redacted, 6)
    row.sha256 = hashlib.sha256(redacted).hexdigest()
    row.size = len(redacted)
    row.card_number_detected = row.card_number_detected or found
    done.count("inbound_message.raw")


def _redact_attachment(row: InboundAttachment, done: Redacted) -> None:
    if row.data is None or not is_text_like_type(row.content_type, row.filename):
        return
    data, read = redact_bytes(row.data, None)  # as a reader of the text reads it: UTF-8, Windows-1252
    text, crossed = redact_in_place(data.decode("latin-1"))  # then digits left in the bytes as written
    if read or crossed:
        row.data = text.encode("latin-1")
        row.sha256 = hashlib.sha256(row.data).hexdigest()
        done.count("inbound_attachment.data")


def _redact_value(row: Any, name: str, redact: Callable[[Any], tuple[Any, bool]], done: Redacted) -> None:
    value = getattr(row, name)
    if value is None:
        return
    new, found = redact(value)
    if found:
        setattr(row, name, new)
        done.count(f"{row.__tablename__}.{name}")


def _document(value: Any) -> tuple[Any, bool]:
    """``value`` (a JSON-able tree) with ``redact_text`` on every string in it, keys included."""
    found = False

    def mask(text: str) -> str:
        nonlocal found
        masked, hit = redact_text(text)
        found |= hit
        return masked

    return map_strings(value, mask), found


def redact_maildir(root: Path, *, dry_run: bool = False) -> Redacted:
    """The copies in the Maildir's sub-folders (``.processed``, ``.review``, ``.quarantine``) rewritten
    redacted (``maildir.write_atomically``)."""
    done = Redacted()
    for folder in STATUS_FOLDERS.values():
        cur = root / folder / "cur"
        if not cur.is_dir():
            continue
        for path in sorted(cur.iterdir()):
            if not path.is_file():
                continue
            raw = path.read_bytes()
            redacted, _found, _parsed = redact_and_parse(raw)
            if redacted == raw:
                continue
            done.count(f"maildir {folder}")
            if not dry_run:
                write_atomically(path, redacted)
    return done
