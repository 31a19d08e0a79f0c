"""Making a received message ready to store, as pure work on its bytes (no database): card numbers
redacted, the envelope read, the dedup key made, the redacted bytes hashed and compressed.

``store`` stores what ``prepare_raw`` makes; the IMAP intake's reading worker (``prereading``) runs it
ahead, in a process that imports nothing of the database.
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from dataclasses import astuple, dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from mailbot.storable import storable
from mailbot.understand.mime import decode_header_value, header_hash, normalize_message_id, parse_address
from mailbot.understand.redaction.message import cross_out, headers_only, is_clean, redact_and_parse

log = logging.getLogger(__name__)

DEDUP_KEY_MAX = 300  # InboundMessage.dedup_key's length
SENDER_MAX = 320
UNREADABLE_PREFIX = "unreadable-sha256:"


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
        envelope = _mended(envelope)
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


def read_envelope(raw: bytes, parsed: Message | None = None, *, mended: bool = True) -> Envelope:
    """Message-ID, sender address and subject from the headers alone; None where absent or unreadable;
    ``mended`` as the row holds them (a NUL or a lone surrogate made U+FFFD).

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
                if key == "message-id" and _has_surrogates(str(value)):
                    # Bytes that are not UTF-8: kept as they came (the parse reads each as U+FFFD, and two
                    # different ids would read alike); the key is then a hash of them (``dedup_key``).
                    found[key] = str(value)
        mid = normalize_message_id(decode_header_value(found.get("message-id", "")))
        sender = _address(found.get("from", ""))
        subject = decode_header_value(found.get("subject", "")) or None
    except Exception:  # headers beyond repair: identified by their hash, named by nothing
        return Envelope(None, None, None)
    envelope = Envelope(mid, sender, subject)
    return _mended(envelope) if mended else envelope


def _has_surrogates(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def _mended(envelope: Envelope) -> Envelope:
    return Envelope(*(storable(value) if value else value for value in astuple(envelope)))


_ENVELOPE = frozenset({"message-id", "from", "subject"})


def _address(value: str) -> str | None:
    address = parse_address(value)[1].strip().lower()
    return address[:SENDER_MAX] if "@" in address else None
