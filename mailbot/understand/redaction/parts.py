"""Card numbers masked in every part of a parsed message, in place (pure); ``redaction`` calls it.

What is read, in every part of the message (forwarded messages too):
- every header, decoded (encoded words) and as written, but the identifiers of the message itself
  (``IDENTIFIERS``); an address header keeps its addresses (display names and addresses are masked
  one by one);
- the parameters of Content-Type and Content-Disposition (``name``, ``filename``, RFC 2231 and encoded
  words too), but ``boundary`` and ``charset``, which are structure;
- the body of every text part, and of attachments that are text (``is_text_like``), decoded from its
  transfer encoding and read as its charset says, as UTF-8 and as Windows-1252 (as the parser may);
  HTML with the tags between groups (``cards.Syntax.HTML``); written back in the same encodings;
- a multipart's preamble and epilogue, and the body of a multipart whose boundary is missing, as
  written (``cards.Syntax.RAW``) and through the base64 blocks they hold;
- a message attached with a transfer encoding (which RFC 2046 forbids), decoded and read as a message;
- a winmail.dat (``redaction_winmail``).
Binary attachments are not searched (their names are).

Why the identifiers stay: Message-ID, In-Reply-To and References are written by mail programs, never
typed by a person, and deduplication and threading depend on them as they are (a JavaMail Message-ID
holds a 13-digit timestamp that passes the Luhn check one time in ten). A card number planted there
on purpose stays in the stored message and in its ``message_id``, as it would inside a PDF. So does
the Content-ID of every part (the HTML names its images by it). The other ``MACHINE_HEADERS``, the
trace headers servers add on the way (Received, X-Received, DKIM and ARC signatures, Authentication-
Results), are left out of ``redact_message`` and masked by ``redact_trace_headers``, which flags
nothing: Gmail's X-Received ends in a time in milliseconds that, joined to the number before it,
reads as a card number passing the Luhn check about one time in a hundred.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import email.utils
import quopri
import re
from email.message import Message

from mailbot.understand.cards.find import redact_html, redact_in_place, redact_text
from mailbot.understand.mime import READ_POLICY, decode_header_value
from mailbot.understand.redaction.winmail import redact_winmail
from mailbot.understand.winmail import MAX_PER_MESSAGE, is_substitute, is_winmail

IDENTIFIERS = frozenset({"message-id", "in-reply-to", "references", "resent-message-id"})
# Written by mail servers on the way, or naming a part: kept as written in every part (see the docstring).
MACHINE_HEADERS = frozenset(
    {
        "content-id",
        "received",
        "x-received",
        "dkim-signature",
        "x-google-dkim-signature",
        "arc-seal",
        "arc-message-signature",
        "arc-authentication-results",
        "authentication-results",
        "x-google-smtp-source",
        "x-gm-message-state",
    }
)
# The machine headers but Content-ID (the HTML names its images by it): masked, quietly.
TRACE_HEADERS = MACHINE_HEADERS - {"content-id"}
ADDRESS_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "reply-to",
        "sender",
        "resent-from",
        "resent-to",
        "resent-cc",
        "resent-bcc",
        "resent-sender",
    }
)
PARAMETER_HEADERS = ("Content-Type", "Content-Disposition")
STRUCTURAL_PARAMETERS = frozenset({"boundary", "charset"})
MAX_NESTING = 8  # messages inside transfer-encoded messages read as messages; deeper ones as text

_TEXT_APPLICATIONS = frozenset({"json", "xml", "csv", "x-csv", "rtf", "x-rtf", "javascript", "xhtml+xml", "x-sh"})
_TEXT_EXTENSIONS = frozenset({"txt", "csv", "tsv", "htm", "html", "xml", "json", "log", "md", "rtf", "ics", "vcf"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_BASE64_BLOCK = re.compile(r"(?m)^(?:[A-Za-z0-9+/]{4,}={0,2}\r?\n)*[A-Za-z0-9+/]{4,}={0,2}\r?$")
_LINE_BREAKS = re.compile(r"[\r\n]+")
_ENCODED = frozenset({"base64", "quoted-printable"})


def redact_message(message: Message, *, depth: int = 0) -> bool:
    """Mask every card number in ``message`` (parsed with ``mime.READ_POLICY``), in place; whether there
    was one. ``depth`` > 0: a message found inside another (its identifiers are masked too)."""
    changed = False
    parts = list(message.walk())  # not the substitutes put in place of a winmail.dat on the way
    sealed = {id(sub) for part in parts if is_substitute(part) for sub in part.walk() if sub is not part}
    winmails = MAX_PER_MESSAGE  # as many as the parser opens
    for part in parts:
        keep = IDENTIFIERS | MACHINE_HEADERS if part is message and depth == 0 else MACHINE_HEADERS
        changed |= redact_headers(part, keep=keep)
        changed |= _redact_parameters(part)
        payload = part.get_payload()
        if part.get_content_maintype() == "message" and _transfer_encoding(part) in _ENCODED:
            changed |= _redact_encoded_message(part, depth)
        elif isinstance(payload, list):
            changed |= _redact_preamble(part)
        elif part.get_content_maintype() == "multipart":  # no boundary found: the body as written
            changed |= _redact_opaque_payload(part)
        elif part.get_content_maintype() == "message":
            changed |= _redact_nested(part, depth)
        elif is_text_like(part):
            changed |= _redact_leaf(part)
        elif winmails > 0 and id(part) not in sealed and is_winmail(part):
            winmails -= 1
            changed |= redact_winmail(part)
    return changed


def redact_trace_headers(message: Message) -> bool:
    """Mask what reads as a card number in the trace headers servers add on the way (``TRACE_HEADERS``)
    of every part; whether there was one. Nobody reads these headers, and what is found there is no
    card a customer sent (Gmail's X-Received ends in a time stamp that reads as one about one time in a
    hundred): masked, so that one planted there is kept nowhere, but never counted as a card number sent."""
    changed = False
    for part in message.walk():
        changed |= redact_headers(part, keep=frozenset(), only=TRACE_HEADERS)
    return changed


def redact_message_bytes(raw: bytes, *, depth: int = 0) -> tuple[bytes, bool]:
    """``raw`` parsed, redacted and written again (the very bytes when it held no card number)."""
    message = email.message_from_bytes(raw, policy=READ_POLICY)
    if not redact_message(message, depth=depth):
        return raw, False
    return serialise(message, raw), True


def serialise(message: Message, raw: bytes) -> bytes:
    """``message`` as bytes, with the line endings of ``raw`` and its unchanged headers as written."""
    linesep = "\r\n" if b"\r\n" in raw[:4096] else "\n"
    policy = email.policy.default.clone(linesep=linesep, refold_source="none")
    return message.as_bytes(policy=policy)


def is_text_like(part: Message) -> bool:
    """A part whose bytes are text (see ``is_text_like_type``)."""
    try:
        name = part.get_filename()
    except Exception:
        name = None
    return is_text_like_type(part.get_content_type(), name)


def is_text_like_type(content_type: str, filename: str | None) -> bool:
    """text/*, the text formats of application/*, or a file named as text."""
    maintype, _, subtype = content_type.lower().partition("/")
    if maintype == "text" or (maintype == "application" and subtype in _TEXT_APPLICATIONS):
        return True
    if subtype.endswith(("+xml", "+json")):
        return True
    return (filename or "").rpartition(".")[2].lower() in _TEXT_EXTENSIONS


# Headers and parameters.


def redact_headers(part: Message, *, keep: frozenset[str], only: frozenset[str] | None = None) -> bool:
    """Mask card numbers in the headers of ``part`` but those named in ``keep`` (lowercase), or in those
    named in ``only`` alone, keeping their order and, for the others, their text as written."""
    items = list(part.raw_items())
    new: list[str | None] = []
    for name, value in items:
        lowered = name.lower()
        skip = lowered in keep or lowered in ("content-type", "content-disposition")
        skip = skip or (only is not None and lowered not in only)
        new.append(None if skip else _redacted_header(lowered, str(value)))
    if all(value is None for value in new):
        return False
    for name in {name for name, _value in items}:
        del part[name]
    for (name, value), redacted in zip(items, new, strict=True):
        if redacted is None:
            part.set_raw(name, value)
            continue
        try:
            part[name] = redacted
        except Exception:  # a value the header's class refuses: kept as text, made ASCII
            part.set_raw(name, redacted.encode("ascii", "replace").decode("ascii"))
    return True


def _redacted_header(name: str, source: str) -> str | None:
    """The header's new (decoded) value when it holds a card number, else None."""
    decoded = decode_header_value(source)
    masked, found = redact_text(decoded)
    if not found:
        in_source = redact_in_place(source)[1]  # an encoded word that decoding left as it was
        if not in_source:
            return None
    if name in ADDRESS_HEADERS and found:
        masked = _redacted_addresses(decoded) or masked
    masked = redact_in_place(masked)[0]
    return _LINE_BREAKS.sub(" ", masked)


def _redacted_addresses(decoded: str) -> str | None:
    try:
        pairs = email.utils.getaddresses([decoded])
    except Exception:
        return None
    if not pairs or not any(address for _name, address in pairs):
        return None
    return ", ".join(email.utils.formataddr((redact_text(name)[0], redact_text(address)[0])) for name, address in pairs)


def _redact_parameters(part: Message) -> bool:
    changed = False
    for header in PARAMETER_HEADERS:
        if header not in part:
            continue
        try:
            params = part.get_params(header=header) or []
        except Exception:
            continue
        for key, value in params[1:]:
            if key.lower() in STRUCTURAL_PARAMETERS:
                continue
            text = email.utils.collapse_rfc2231_value(value)
            masked, found = redact_text(decode_header_value(text))
            masked, in_place = redact_in_place(masked)
            if found or in_place or redact_in_place(text)[1]:
                part.set_param(key, _LINE_BREAKS.sub(" ", masked), header=header)
                changed = True
    return changed


# Bodies.


def _redact_leaf(part: Message) -> bool:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return False
    try:
        declared = part.get_content_charset()
    except Exception:
        declared = None
    redacted, found = redact_bytes(data, declared, html=part.get_content_type() in HTML_TYPES)
    if found:
        set_encoded_payload(part, redacted)
    return found


def redact_bytes(data: bytes, declared: str | None, *, html: bool = False) -> tuple[bytes, bool]:
    """Text bytes with card numbers masked, read in every charset a reader may use (see the docstring)."""
    found_any = False
    for codec in _codecs(data, declared):
        try:
            text = data.decode(codec)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue  # the bytes changed under an earlier reading
        masked, found = redact_html(text) if html else redact_text(text)
        if found:
            data = masked.encode(codec, "xmlcharrefreplace" if html else "replace")
            found_any = True
    return data, found_any


def _codecs(data: bytes, declared: str | None) -> list[str]:
    """The charsets that read ``data`` differently: the declared one, UTF-8, Windows-1252; else Latin-1."""
    codecs: list[str] = []
    texts: list[str] = []
    for codec in (declared, "utf-8", "cp1252"):
        if not codec:
            continue
        try:
            text = data.decode(codec)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
        if text not in texts:
            codecs.append(codec)
            texts.append(text)
    return codecs or ["latin-1"]


def set_encoded_payload(part: Message, data: bytes) -> None:
    """Replace the body keeping its headers and its transfer encoding."""
    cte = _transfer_encoding(part) or "7bit"
    if cte == "base64":
        body = base64.encodebytes(data).decode("ascii")
    elif cte == "quoted-printable":
        body = quopri.encodestring(data.replace(b"\r\n", b"\n")).decode("ascii")
    else:
        if cte not in ("7bit", "8bit", "binary"):  # x-uuencode and the like: written out plainly
            del part["Content-Transfer-Encoding"]
            part["Content-Transfer-Encoding"] = "8bit"
        body = data.decode("ascii", "surrogateescape")  # how the parser keeps 8-bit bodies
    part.set_payload(body)


def _redact_preamble(part: Message) -> bool:
    changed = False
    for attribute in ("preamble", "epilogue"):
        text = getattr(part, attribute)
        if text:
            masked, found = redact_opaque(text)
            if found:
                setattr(part, attribute, masked)
                changed = True
    return changed


def _redact_opaque_payload(part: Message) -> bool:
    payload = part.get_payload()
    if not isinstance(payload, str):
        return False
    masked, found = redact_opaque(payload)
    if found:
        part.set_payload(masked)
    return found


def _redact_nested(part: Message, depth: int) -> bool:
    """A message/* part the parser left as text: a transfer-encoded message, read as one."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return False
    if depth >= MAX_NESTING:
        masked, found = redact_opaque(data.decode("ascii", "surrogateescape"))
        redacted = masked.encode("ascii", "surrogateescape")
    else:
        redacted, found = redact_message_bytes(data, depth=depth + 1)
    if found:
        set_encoded_payload(part, redacted)
    return found


def _redact_encoded_message(part: Message, depth: int) -> bool:
    """A message/* part in base64 or quoted-printable (RFC 2046 forbids it; the parser reads the
    encoded text as a message): decoded and read as a message; written back unencoded when redacted."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        inner = payload[0]
        text = inner.as_string(policy=email.policy.compat32)
        encoded = text[1:] if not inner.keys() and text.startswith("\n") else text
    elif isinstance(payload, str):
        encoded = payload
    else:
        return False
    try:
        if _transfer_encoding(part) == "base64":
            data = base64.b64decode("".join(encoded.split()))
        else:
            data = quopri.decodestring(encoded.encode("ascii", "surrogateescape"))
    except (binascii.Error, ValueError):
        return False
    if depth >= MAX_NESTING:
        return False
    redacted, found = redact_message_bytes(data, depth=depth + 1)
    if found:
        del part["Content-Transfer-Encoding"]
        part["Content-Transfer-Encoding"] = "7bit" if redacted.isascii() else "8bit"
        part.set_payload([email.message_from_bytes(redacted, policy=READ_POLICY)])
    return found


def _transfer_encoding(part: Message) -> str:
    return str(part.get("Content-Transfer-Encoding", "")).strip().lower()


def redact_opaque(text: str) -> tuple[str, bool]:
    """Text that is no part of its own (a preamble, a body whose boundary is missing): the base64
    blocks it holds decoded and redacted, and every card number written in it crossed out in place."""
    found = False

    def block(match: re.Match[str]) -> str:
        nonlocal found
        encoded = match.group()
        compact = "".join(encoded.split())
        if len(compact) < 16 or len(compact) % 4:
            return encoded
        try:
            data = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            return encoded
        redacted, in_text = redact_bytes(data, None)
        crossed, in_bytes = redact_in_place(redacted.decode("latin-1"))  # a whole part: headers, escapes
        if not (in_text or in_bytes):
            return encoded
        redacted = crossed.encode("latin-1")
        found = True
        width = len(encoded.split("\n", 1)[0].rstrip("\r")) or 76
        newline = "\r\n" if "\r\n" in encoded else "\n"
        out = base64.b64encode(redacted).decode("ascii")
        return newline.join(out[i : i + width] for i in range(0, len(out), width))

    text = _BASE64_BLOCK.sub(block, text)
    text, crossed = redact_in_place(text)
    data = text.encode("utf-8", "surrogateescape")  # how the parser keeps 8-bit text
    if not data.isascii():  # digits of other scripts, written in UTF-8
        try:
            wide, crossed_wide = redact_in_place(data.decode("utf-8"))
        except UnicodeDecodeError:
            crossed_wide = False
        if crossed_wide:
            text = wide.encode("utf-8").decode("utf-8", "surrogateescape")
            crossed = True
    return text, found or crossed
