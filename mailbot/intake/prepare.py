"""Making a received message ready to store, as pure work on its bytes (no database): card numbers
redacted, the envelope read, the dedup key made, the redacted bytes hashed and compressed.

``store`` stores what ``prepare_raw`` makes; the IMAP intake's reading worker (``overlap``) runs it
ahead, in a process that imports nothing of the database. The envelope is read by
``understand.envelope`` (``Envelope`` and ``read_envelope`` are named here too, for the callers that
store).
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from dataclasses import dataclass, field
from email.message import Message

from mailbot.storable import storable
from mailbot.understand.envelope import Envelope, mended_envelope, read_envelope
from mailbot.understand.mime import header_hash
from mailbot.understand.redaction.message import cross_out, headers_only, is_clean, redact_and_parse

__all__ = ["Envelope", "Prepared", "dedup_key", "prepare_raw", "read_envelope"]

log = logging.getLogger(__name__)

DEDUP_KEY_MAX = 300  # InboundMessage.dedup_key's length
UNREADABLE_PREFIX = "unreadable-sha256:"


@dataclass(frozen=True)
class Prepared:
    """A received message made ready to store (pure): redacted, identified, its envelope read, and the
    redacted bytes compressed with their SHA-256 (what the row keeps)."""

    size: int  # of the raw as received, for ``inbound.max_message_bytes``
    redacted: bytes
    card_found: bool
    envelope: Envelope
    key: str
    sha256: str
    compressed: bytes = field(repr=False)
    parsed: Message | None = None  # the parse of ``redacted`` (None: only its headers kept, or unparseable)

    @property
    def replacement(self) -> bytes | None:
        """The redacted bytes when card numbers were masked: what is kept in place of the original."""
        return self.redacted if self.card_found else None


def prepare_raw(raw: bytes) -> Prepared:
    """``raw`` made ready to store. Never raises: bytes that break a step here (a defect of ours met on a
    message) are kept all the same, their card numbers redacted in the bytes themselves, under a key
    made of those bytes (``UNREADABLE_PREFIX``); reading them will fail again and quarantine them."""
    try:
        redacted, card_found, parsed = redact_and_parse(raw)
        envelope = read_envelope(redacted, parsed, mended=False)
        key = dedup_key(envelope.message_id, redacted)  # of the Message-ID as it is, then stored mended
        envelope = mended_envelope(envelope)
    except Exception:
        log.exception("inbound: a message of %d bytes could not be prepared; kept by its bytes alone", len(raw))
        redacted = _redact_bytes(raw)
        card_found, parsed, envelope = redacted != raw, None, Envelope(None, None, None)
        key = UNREADABLE_PREFIX + hashlib.sha256(redacted).hexdigest()
    digest = hashlib.sha256(redacted).hexdigest()
    return Prepared(len(raw), redacted, card_found, envelope, key, digest, zlib.compress(redacted, 6), parsed)


def _redact_bytes(raw: bytes) -> bytes:
    """The last resort when preparing broke: card numbers crossed out in the bytes themselves, else the
    headers alone with a note, else a note alone."""
    try:
        crossed = cross_out(raw)
        if is_clean(crossed):
            return crossed
    except Exception:
        log.exception("inbound: crossing card numbers out of a message's bytes failed")
    try:
        return headers_only(raw)
    except Exception:
        log.exception("inbound: keeping a message's headers alone failed")
        return b"X-Mailbot-Redacted: message removed, it could not be read safely\r\n\r\n"


def dedup_key(message_id: str | None, raw: bytes) -> str:
    """The normalised Message-ID; a hash of it when too long or not storable as it is (a NUL, bytes that
    are not UTF-8: mended, two such ids could read alike); ``sha256:<header hash>`` when missing."""
    if not message_id:
        return "sha256:" + header_hash(raw)
    if len(message_id) > DEDUP_KEY_MAX or storable(message_id) != message_id:
        return "mid-sha256:" + hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()
    return message_id
