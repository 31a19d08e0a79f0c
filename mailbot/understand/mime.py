"""Raw bytes to a ParsedMessage, surviving anything.

The standard library's `email` (policy.default) does the MIME work; this module adds what real
mail needs on top: header values that fall back to their raw text when an encoded word is
malformed, body charsets tried in order (declared, utf-8, cp1252, then utf-8 with replacement),
HTML-only bodies turned into text, forwarded messages (message/rfc822 parts and inline
"Forwarded message" blocks) exposed on their own, attachments listed under safe names. A winmail.dat
(TNEF) stays listed and is opened where feasible (``winmail.py``): the files inside are listed after
it, and its body (plain, else HTML turned into text) is the text of a message with none of its own; what
cannot be opened is a defect. Problems become `defects`; content never makes it raise.
"""

from __future__ import annotations

import email
import email.header
import email.utils
import functools
import hashlib
import re
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.headerregistry import BaseHeader
from email.message import EmailMessage, Message
from email.policy import EmailPolicy
from typing import TYPE_CHECKING, Any

from mailbot.understand.htmltext import html_to_text
from mailbot.understand.winmail import MAX_PER_MESSAGE, Winmail, is_substitute, is_winmail, read_winmail

_FALLBACK_CHARSETS = ("utf-8", "cp1252")
_INLINE_FORWARD = re.compile(
    r"^[ \t>]*(?:-{2,}\s*(?:Forwarded message|Messaggio inoltrato|Original Message Follows|Mensaje reenviado"
    r"|Message transféré|Weitergeleitete Nachricht)\s*-{2,}|Begin forwarded message:|Inizio messaggio inoltrato:)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029/\\:]+")  # controls, line separators, paths
# Headers the MIME walk reads over and over (the parser itself, get_content_type, get_payload, ...).
_LINESEP = re.compile(r"\n|\r")  # as policy.default unfolds (not str.splitlines, which splits on more)


if TYPE_CHECKING:
    _EmailPolicy = EmailPolicy[EmailMessage]
else:
    _EmailPolicy = EmailPolicy


class ReadPolicy(_EmailPolicy):
    """``policy.default`` for reading: ``policy.default`` parses a header again on every access
    (about 20 Content-Type parses per message; Subject and the address headers read by the redaction,
    the parse and the classification each), this one parses each header value once, keeping the last
    4,096 parsed.

    Only for fetching: header objects are immutable strings, so the same value gives the same object;
    headers set or folded (``replace_header``, a generator) go through ``policy.default``'s own code."""

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        if hasattr(value, "name"):
            return super().header_fetch_parse(name, value)
        return _parsed_header(self.header_factory, name, value)


@functools.lru_cache(maxsize=4096)
def _parsed_header(factory: Any, name: str, value: str) -> BaseHeader:
    return factory(name, "".join(_LINESEP.split(value)))  # type: ignore[no-any-return]


READ_POLICY = ReadPolicy()


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    data: bytes = field(default=b"", repr=False, compare=False)  # decoded; what the store keeps


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str | None
    subject: str
    from_address: str
    from_name: str
    to_addresses: list[str]
    cc_addresses: list[str]
    reply_to: list[str]
    in_reply_to: str | None
    references: list[str]
    date: datetime | None
    headers: list[tuple[str, str]]
    text: str
    html: str | None
    attachments: list[Attachment] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    # The addresses the message was delivered to (Delivered-To, X-Original-To, added by our servers).
    delivered_to: list[str] = field(default_factory=list)
    # Each From header as written (encoded words undecoded): what address parsing must read (RFC 2047, 5).
    from_headers: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def header_values(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]


def normalize_message_id(value: str | None) -> str | None:
    """`<Abc@Example.COM>` -> `Abc@example.com`; None for an empty or missing value."""
    if not value:
        return None
    match = re.search(r"<([^<>]+)>", value)
    ident = (match.group(1) if match else value).strip().strip("<>").strip()
    ident = "".join(ident.split())
    if not ident:
        return None
    local, at, domain = ident.rpartition("@")
    return f"{local}@{domain.lower()}" if at else ident


def message_ids(value: str | None) -> list[str]:
    """All Message-IDs in a References/In-Reply-To value, normalised, in order."""
    if not value:
        return []
    found = re.findall(r"<([^<>]+)>", value) or value.split()
    return [ident for ident in (normalize_message_id(f"<{item}>") for item in found) if ident]


def _unescape_8bit(value: str) -> str:
    """Raw 8-bit header bytes (kept by the parser as surrogates) decoded as utf-8, else cp1252."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        data = value.encode("utf-8", errors="surrogateescape")
    for charset in _FALLBACK_CHARSETS:
        try:
            return data.decode(charset)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _unfold(raw: str) -> str:
    return _unescape_8bit(re.sub(r"\r?\n[ \t]+", " ", raw).strip())


def parse_address(raw: str) -> tuple[str, str]:
    """(display name, address) of one address header value as it came (folded, maybe 8-bit, encoded
    words undecoded). The value is parsed first and the name decoded after: an encoded word is never
    address syntax (RFC 2047, section 5), so ``=?utf-8?b?...?=`` decoding to ``Boss <victim@...>``
    stays a name instead of becoming the address."""
    name, address = email.utils.parseaddr(_unfold(raw))
    return decode_header_value(name), address


def parse_addresses(raw_values: list[str]) -> list[tuple[str, str]]:
    """``parse_address`` for address-list headers (To, Cc, Reply-To): every pair, names decoded after."""
    pairs = email.utils.getaddresses([_unfold(value) for value in raw_values])
    return [(decode_header_value(name), address) for name, address in pairs]


def decode_header_value(raw: str) -> str:
    """Encoded words decoded; the raw text (unfolded) when they are malformed."""
    unfolded = _unfold(raw)
    if "=?" not in unfolded:
        return unfolded
    try:
        return str(email.header.make_header(email.header.decode_header(unfolded)))
    except Exception:
        return unfolded


def decode_bytes(payload: bytes, declared: str | None, defects: list[str]) -> str:
    """Declared charset, then utf-8, then cp1252; utf-8 with replacement as the last resort."""
    for charset in (declared, *_FALLBACK_CHARSETS):
        if not charset:
            continue
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError, ValueError):
            if charset == declared:
                defects.append(f"charset {declared!r} failed")
    defects.append("undecodable text, replaced")
    return payload.decode("utf-8", errors="replace")


def safe_filename(name: str | None, index: int) -> str:
    """No path parts, no control characters, at most 100 characters; `attachment-N` by default."""
    if name:
        base = re.split(r"[/\\]", decode_header_value(name))[-1]
        base = _UNSAFE_NAME.sub("_", base).strip(" .")
        if base:
            if len(base) > 100:
                stem, dot, ext = base.rpartition(".")
                base = (stem[: 99 - len(ext)] + "." + ext) if dot and 0 < len(ext) < 10 else base[:100]
            return base
    return f"attachment-{index}"


def _raw_headers(msg: Message) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in msg.raw_items():
        pairs.append((str(name), decode_header_value(str(value))))
    return pairs


def _addresses(raw_values: list[str]) -> list[str]:
    try:
        pairs = parse_addresses(raw_values)
    except Exception:
        pairs = []
    return [addr.strip().lower() for _, addr in pairs if "@" in addr]


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class _Budget:
    winmails: int = MAX_PER_MESSAGE  # winmail.dat parts still to open in this message


@dataclass
class _Body:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    winmails: list[Winmail] = field(default_factory=list)
    budget: _Budget = field(default_factory=_Budget)  # shared with the forwarded messages' bodies


def _part_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", errors="replace") if isinstance(raw, str) else b""


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:
        return None


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:
        return None


def _filename(part: Message) -> str | None:
    try:
        return part.get_filename()
    except Exception:
        return None


def _walk(part: Message, body: _Body) -> None:
    body.defects.extend(type(defect).__name__ for defect in getattr(part, "defects", []))
    ctype = part.get_content_type()
    payload = part.get_payload()
    if ctype == "message/rfc822" or (part.get_content_maintype() == "message" and isinstance(payload, list)):
        inner = payload[0] if isinstance(payload, list) and payload else None
        if isinstance(inner, Message):
            body.forwarded.append(_forwarded_text(inner, body.budget))
        return
    if is_substitute(part) and isinstance(payload, list):
        _walk_substitute(payload, body)
        return
    if part.is_multipart() and isinstance(payload, list):
        for sub in payload:
            if isinstance(sub, Message):
                _walk(sub, body)
        return
    disposition = _disposition(part)
    name = _filename(part)
    is_text = part.get_content_maintype() in ("text", "multipart") and ctype != "text/rfc822-headers"
    if is_text and disposition != "attachment" and not (name and ctype not in ("text/plain", "text/html")):
        text = decode_bytes(_part_bytes(part), _charset(part), body.defects)
        (body.html if ctype == "text/html" else body.plain).append(text)
        return
    data = _part_bytes(part)
    _list_attachment(body, name, ctype, data)
    if is_winmail(part):
        _open_winmail(data, body)


def _list_attachment(body: _Body, name: str | None, content_type: str, data: bytes) -> None:
    """An attachment under its safe name (``attachment-N`` when it has none, N its place in the list)."""
    body.attachments.append(Attachment(safe_filename(name, len(body.attachments) + 1), content_type, len(data), data))


def _open_winmail(data: bytes, body: _Body) -> None:
    """The files inside a winmail.dat listed after it; its body kept for a message without text."""
    if body.budget.winmails <= 0:
        body.defects.append(f"winmail.dat: more than {MAX_PER_MESSAGE} in the message, not opened")
        return
    body.budget.winmails -= 1
    winmail = read_winmail(data)
    body.winmails.append(winmail)
    body.defects.extend(winmail.problems)
    for file in winmail.files:
        _list_attachment(body, file.name, file.content_type, file.data)


def _walk_substitute(parts: list[Any], body: _Body) -> None:
    """What the card redaction put in place of a winmail.dat: its text (the first part), then its files;
    all listed as attachments, nothing in it opened again."""
    leaves = [part for part in parts if isinstance(part, Message) and not part.is_multipart()]
    for part in leaves:
        _list_attachment(body, _filename(part), part.get_content_type(), _part_bytes(part))
    if leaves and leaves[0].get_content_type() == "text/plain":
        body.winmails.append(Winmail(decode_bytes(_part_bytes(leaves[0]), _charset(leaves[0]), body.defects)))


def _best_text(body: _Body) -> tuple[str, str | None]:
    """The plain parts, else the first HTML part as text, else the text of the first winmail.dat with one."""
    html = body.html[0] if body.html else None
    plain = "\n".join(text for text in body.plain if text.strip())
    if not plain.strip() and html is not None:
        plain = html_to_text(html)
    if not plain.strip():
        for winmail in body.winmails:
            text = winmail.text
            if text.strip():
                plain, html = text, html if html is not None else winmail.html
                break
    return plain.replace("\r\n", "\n").replace("\r", "\n"), html


def _forwarded_text(inner: Message, budget: _Budget) -> str:
    sub = _Body(budget=budget)
    _walk(inner, sub)
    text, _ = _best_text(sub)
    heads = dict((name.lower(), value) for name, value in _raw_headers(inner))
    labels = (("from", "From"), ("date", "Date"), ("subject", "Subject"))
    lines = [f"{label}: {heads[key]}" for key, label in labels if heads.get(key)]
    return "\n".join([*lines, "", text]).strip("\n")


def inline_forwards(text: str) -> list[str]:
    """The blocks after each "Forwarded message" / "Messaggio inoltrato" marker in a text body."""
    marks = list(_INLINE_FORWARD.finditer(text))
    blocks = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        block = text[mark.end() : end].strip("\n")
        if block.strip():
            blocks.append(block)
    return blocks


def _normalise_newlines(raw: bytes) -> bytes:
    if b"\n" not in raw and b"\r" in raw:
        return raw.replace(b"\r", b"\n")
    return raw


# What parse_message made of a parse it was given, while that parse lives: the redaction's check
# (``redaction.is_clean``) and the reading of the stored copy read the very same one (``prepare_raw``
# hands it on), so the second reading (HTML turned into text, attachments) is not made again.
_READINGS: weakref.WeakKeyDictionary[Message, tuple[bytes, ParsedMessage]] = weakref.WeakKeyDictionary()


def parse_message(raw: bytes, parsed: Message | None = None) -> ParsedMessage:
    """Parse raw RFC 5322 bytes; never raises on content (problems are listed in `defects`).

    ``parsed`` is ``raw`` already parsed with ``READ_POLICY`` (by the redaction), spared a second parse."""
    normalised = _normalise_newlines(raw)
    if normalised is not raw:  # not what was parsed
        parsed = None
    raw = normalised
    if parsed is not None:
        known = _READINGS.get(parsed)
        if known is not None and known[0] == raw:
            return known[1]
    message = _parse_or_not(raw, parsed)
    if parsed is not None:
        _READINGS[parsed] = (raw, message)
    return message


def _parse_or_not(raw: bytes, parsed: Message | None) -> ParsedMessage:
    try:
        return _parse(raw, parsed)
    except Exception as exc:  # the safety net: a message must always come out
        text = decode_bytes(raw, None, [])
        return ParsedMessage(
            message_id=None,
            subject="",
            from_address="",
            from_name="",
            to_addresses=[],
            cc_addresses=[],
            reply_to=[],
            in_reply_to=None,
            references=[],
            date=None,
            headers=[],
            text=text,
            html=None,
            defects=[f"unparseable message: {type(exc).__name__}"],
        )


def _parse(raw: bytes, parsed: Message | None = None) -> ParsedMessage:
    msg = parsed if parsed is not None else email.message_from_bytes(raw, policy=READ_POLICY)
    headers = _raw_headers(msg)

    def first(name: str) -> str | None:
        return next((value for key, value in headers if key.lower() == name), None)

    def every(name: str) -> list[str]:
        return [value for key, value in headers if key.lower() == name]

    def every_raw(name: str) -> list[str]:  # address headers: parsed before their names are decoded
        return [str(value) for key, value in msg.raw_items() if key.lower() == name]

    body = _Body()
    _walk(msg, body)
    text, html = _best_text(body)
    from_headers = every_raw("from")
    from_name, from_address = "", ""
    try:
        from_name, from_address = parse_address(next(iter(from_headers), ""))
    except Exception:
        body.defects.append("unparseable From")
    return ParsedMessage(
        message_id=normalize_message_id(first("message-id")),
        subject=first("subject") or "",
        from_address=from_address.strip().lower(),
        from_name=from_name.strip(),
        to_addresses=_addresses(every_raw("to")),
        cc_addresses=_addresses(every_raw("cc")),
        reply_to=_addresses(every_raw("reply-to")),
        in_reply_to=normalize_message_id(first("in-reply-to")),
        references=message_ids(" ".join(every("references"))),
        date=_date(first("date")),
        headers=headers,
        text=text,
        html=html,
        delivered_to=_addresses(every_raw("delivered-to") + every_raw("x-original-to")),
        from_headers=[_unfold(value) for value in from_headers],
        attachments=body.attachments,
        forwarded=[*body.forwarded, *inline_forwards(text)],
        defects=list(dict.fromkeys(body.defects)),
    )


def header_hash(raw: bytes) -> str:
    """SHA-256 over the normalised From/To/Date/Subject, the identity of a message without Message-ID."""
    msg = email.message_from_bytes(_normalise_newlines(raw), policy=policy.compat32)
    parts = []
    for name in ("from", "to", "date", "subject"):
        values = [decode_header_value(str(v)) for k, v in msg.raw_items() if k.lower() == name]
        value = " ".join(" ".join(values).split())
        parts.append(f"{name}:{value.lower() if name in ('from', 'to') else value}")
    return hashlib.sha256("\n".join(parts).encode("utf-8", errors="replace")).hexdigest()
