"""Making a received message ready to store, as pure work on its bytes (no database): card numbers
redacted, the envelope read, the dedup key made, the redacted bytes hashed and compressed.

``store`` stores what ``prepare_raw`` makes; the IMAP intake's reading worker (``prereading``) runs it
ahead, in a process that imports nothing of the database.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr

from mailbot.inbound.mime import decode_header_value, header_hash, normalize_message_id
from mailbot.inbound.redaction import redact_and_parse

DEDUP_KEY_MAX = 300  # InboundMessage.dedup_key's length
SENDER_MAX = 320


@dataclass(frozen=True)
class Envelope:
    """The few header values known before parsing (cheap: headers only)."""

    message_id: str | None
    sender: str | None
    subject: str | None


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
    parsed: Message | None = None  # the parse of ``redacted`` (when nothing was redacted)


def prepare_raw(raw: bytes) -> Prepared:
    redacted, card_found, parsed = redact_and_parse(raw)
    envelope = read_envelope(redacted, parsed)
    key = dedup_key(envelope.message_id, redacted)
    digest = hashlib.sha256(redacted).hexdigest()
    return Prepared(len(raw), redacted, card_found, envelope, key, digest, zlib.compress(redacted, 6), parsed)


def dedup_key(message_id: str | None, raw: bytes) -> str:
    """The normalised Message-ID; a hash of it when too long; ``sha256:<header hash>`` when missing."""
    if not message_id:
        return "sha256:" + header_hash(raw)
    if len(message_id) > DEDUP_KEY_MAX:
        return "mid-sha256:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()
    return message_id


def read_envelope(raw: bytes, parsed: Message | None = None) -> Envelope:
    """Message-ID, sender address and subject from the headers alone; None where absent or unreadable.

    ``parsed``, a parse of these very bytes (any policy), spares parsing the headers again: the parser
    keeps each header's source text as it is whatever the policy (``raw_items``), and that text is
    read here as a ``compat32`` parse of the headers alone reads it, so the answer (and the dedup key
    made of it) is the same either way."""
    try:
        headers = (parsed if parsed is not None else BytesHeaderParser(policy=compat32).parsebytes(raw)).raw_items()
        found: dict[str, str] = {}
        for name, value in headers:
            key = name.lower()
            if key in _ENVELOPE and key not in found:  # the first one, as Message.get
                found[key] = str(compat32.header_fetch_parse(name, value))
        mid = normalize_message_id(decode_header_value(found.get("message-id", "")))
        sender = _address(decode_header_value(found.get("from", "")))
        subject = decode_header_value(found.get("subject", "")) or None
    except Exception:  # headers beyond repair: identified by their hash, named by nothing
        return Envelope(None, None, None)
    return Envelope(mid, sender, subject)


_ENVELOPE = frozenset({"message-id", "from", "subject"})


def _address(value: str) -> str | None:
    address = parseaddr(value)[1].strip().lower()
    return address[:SENDER_MAX] if "@" in address else None
