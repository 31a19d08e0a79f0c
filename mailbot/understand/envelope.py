"""A message's envelope from its headers alone (pure): the Message-ID, sender and subject it is
stored and deduplicated by (``intake.prepare``), and looked for by (the IMAP intake's searches).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from mailbot.storable import storable
from mailbot.understand.mime import decode_header_value, normalize_message_id, parse_address

SENDER_MAX = 320


@dataclass(frozen=True)
class Envelope:
    """The few header values known before parsing (cheap: headers only)."""

    message_id: str | None
    sender: str | None
    subject: str | None


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
                    # different ids would read alike); the key is then a hash of them (``intake.prepare.dedup_key``).
                    found[key] = str(value)
        mid = normalize_message_id(decode_header_value(found.get("message-id", "")))
        sender = _address(found.get("from", ""))
        subject = decode_header_value(found.get("subject", "")) or None
    except Exception:  # headers beyond repair: identified by their hash, named by nothing
        return Envelope(None, None, None)
    envelope = Envelope(mid, sender, subject)
    return mended_envelope(envelope) if mended else envelope


def _has_surrogates(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def mended_envelope(envelope: Envelope) -> Envelope:
    """``envelope`` as the row holds it: a NUL or a lone surrogate made U+FFFD."""
    return Envelope(*(storable(value) if value else value for value in astuple(envelope)))


_ENVELOPE = frozenset({"message-id", "from", "subject"})


def _address(value: str) -> str | None:
    address = parse_address(value)[1].strip().lower()
    return address[:SENDER_MAX] if "@" in address else None
