"""Card numbers out of a raw message before any of it is kept (pure): the message safe to store, or
nothing of it but its headers.

``redact_and_parse(raw)``, what ``prepare.prepare_raw`` stores:
1. the message is parsed and every card number masked where ``redaction_parts`` reads (headers,
   parameters, text bodies, preambles, broken multiparts, attached messages, winmail.dat), then
   written again (the very bytes when there was none);
2. the result is checked as every reader of the stored copy will see it (``is_clean``): its bytes as
   they are (``cards.Syntax.RAW``), but the message's identifiers, the machine headers in the header
   blocks and the boundaries on delimiter lines and in ``boundary=`` (``_kept_spans``); the same
   reading again on a fresh parse when something was masked; and what ``mime.parse_message`` and
   ``envelope.read_envelope`` give (the text of every part joined, HTML turned into text, forwarded
   messages, attachment names and text, subject, sender).
   What reads as a card number in the trace headers servers add (Received, X-Received, DKIM, ARC,
   Authentication-Results), which nobody reads, is masked too, quietly: it flags nothing
   (``redaction_parts.redact_trace_headers``);
3. when a card number can still be seen, every one written in the bytes is crossed out in place
   (``cards.redact_in_place``: digits turned into ``X``, the structure untouched), and checked again;
4. when even that is not enough (a card number that only shows once the parts are put together), the
   headers alone are kept, redacted, with a note that the body was removed (``NOTE``).
"""

from __future__ import annotations

import email
import re
from email.message import EmailMessage, Message

from mailbot.understand.cards.find import Syntax, contains_card_number, redact_in_place
from mailbot.understand.envelope import read_envelope
from mailbot.understand.mime import READ_POLICY, ParsedMessage, parse_message
from mailbot.understand.redaction.parts import (
    HTML_TYPES,
    IDENTIFIERS,
    MACHINE_HEADERS,
    is_text_like_type,
    redact_headers,
    redact_message,
    redact_trace_headers,
    serialise,
)

REDACTED_HEADER = "X-Mailbot-Redacted"
NOTE = (
    "mailbot: this message held a card number that could not be masked where it was written,\n"
    "so its body was removed; only its headers were kept.\n"
)
# Headers that are no text: identifiers, and the MIME structure (boundaries; names are read as attachments').
_NOT_TEXT = IDENTIFIERS | MACHINE_HEADERS | {"content-type", "content-disposition"}
_HEADER_END = re.compile(rb"\r?\n\r?\n")
# A machine header at the start of a line (the line break before it is matched: a literal the
# regular expression engine looks for quickly, where a "^" is tried at every character).
_MACHINE_FIELD = re.compile(
    r"\n(?:" + "|".join(map(re.escape, sorted(MACHINE_HEADERS))) + r")[ \t]*:[^\n]*(?:\n[ \t][^\n]*)*", re.I
)
_FIELD = re.compile(r"^([^:\s]+)[ \t]*:[^\n]*(?:\n[ \t][^\n]*)*", re.M)
_BLANK_LINE = re.compile(r"^\r?$", re.M)
_MESSAGE_CONTENT = re.compile(r"^content-type[ \t]*:[ \t]*message/", re.I | re.M)
_MAX_BLOCKS = 10_000  # a bound on the header blocks one message is read for


def redact_raw_message(raw: bytes) -> tuple[bytes, bool]:
    """``raw`` with every card number masked, and whether there was one (the same bytes when none)."""
    redacted, found, _parsed = redact_and_parse(raw)
    return redacted, found


def redact_and_parse(raw: bytes) -> tuple[bytes, bool, EmailMessage | None]:
    """``redact_raw_message``, and the parse (``mime.READ_POLICY``) of the very bytes returned when
    there is one to spare (untouched, for ``mime.parse_message``, which then has the check's reading)."""
    try:
        message: EmailMessage | None = email.message_from_bytes(raw, policy=READ_POLICY)
        assert message is not None
        found = redact_message(message)
        quiet = redact_trace_headers(message)
        out = serialise(message, raw) if found or quiet else raw
    except Exception:  # malformed beyond what the parser tolerates: the bytes themselves
        message, found, quiet, out = None, False, False, raw
    untouched = message if message is not None and not (found or quiet) else None
    clean, parsed = _check(out, untouched, recheck=found or quiet)
    if clean:
        return out, found, parsed
    crossed = cross_out(out)
    clean, parsed = _check(crossed, None, recheck=True)
    if clean:
        return crossed, True, parsed
    return headers_only(raw), True, None


def is_clean(raw: bytes, parsed: EmailMessage | None = None, *, recheck: bool = True) -> bool:
    """No card number to be seen in ``raw`` by any reader (see the module's docstring). ``parsed`` is
    ``raw`` parsed with ``READ_POLICY``; ``recheck`` reads the parts again on a fresh parse."""
    return _check(raw, parsed, recheck=recheck)[0]


def _check(raw: bytes, parsed: EmailMessage | None, *, recheck: bool) -> tuple[bool, EmailMessage | None]:
    """``is_clean``, and the parse of ``raw`` it read (None when the parser could not read it)."""
    message = parsed
    if message is None:
        try:
            message = email.message_from_bytes(raw, policy=READ_POLICY)
        except Exception:
            message = None
    if any(contains_card_number(_blank(text, _kept_spans(text, message)), Syntax.RAW) for text in _raw_readings(raw)):
        return False, message
    if recheck and message is not None:
        try:
            if redact_message(email.message_from_bytes(raw, policy=READ_POLICY)):
                return False, message
        except Exception:
            pass  # what the parser cannot read, the readers below and the bytes above were checked for
    clean = not _holds_card(parse_message(raw, message)) and not _envelope_holds_card(raw, message)
    return clean, message


def cross_out(raw: bytes) -> bytes:
    """Every card number written in ``raw`` crossed out in place, read byte for byte and as UTF-8, but
    in the identifiers and boundaries."""
    try:
        message: Message | None = email.message_from_bytes(raw, policy=READ_POLICY)
    except Exception:
        message = None
    for codec in _raw_codecs(raw):
        text = raw.decode(codec, "surrogateescape")
        kept = _kept_spans(text, message)
        crossed = redact_in_place(_blank(text, kept))[0]
        pieces: list[str] = []
        last = 0
        for start, end in kept:  # what was blanked comes back as it was
            pieces += [crossed[last:start], text[start:end]]
            last = end
        pieces.append(crossed[last:])
        raw = "".join(pieces).encode(codec, "surrogateescape")
    return raw


def _raw_codecs(raw: bytes) -> tuple[str, ...]:
    """How the bytes of a message are read as they are: one character a byte, and as UTF-8."""
    return ("latin-1",) if raw.isascii() else ("latin-1", "utf-8")


def _raw_readings(raw: bytes) -> list[str]:
    return [raw.decode(codec, "surrogateescape") for codec in _raw_codecs(raw)]


def headers_only(raw: bytes) -> bytes:
    """The headers of ``raw``, redacted, with ``NOTE`` as the body; only its identifiers if need be."""
    end = _HEADER_END.search(raw)
    head = raw[: end.start()] if end else raw
    linesep = "\r\n" if b"\r\n" in head[:4096] else "\n"
    try:
        message = email.message_from_bytes(head + b"\n\n", policy=READ_POLICY)
        for name in {key for key in message if key.lower().startswith("content-")}:
            del message[name]
        redact_headers(message, keep=IDENTIFIERS)
        _set_note(message)
        out = serialise(message, raw)
        if is_clean(out):
            return out
    except Exception:
        pass
    text = head.decode("latin-1")
    fields = [m.group() for m in _FIELD.finditer(text) if m.group(1).lower() in IDENTIFIERS]
    message = email.message_from_string("", policy=READ_POLICY)
    _set_note(message)
    note = serialise(message, raw).decode("ascii")
    return (linesep.join(fields) + (linesep if fields else "") + note).encode("latin-1")


def _set_note(message: Message) -> None:
    message[REDACTED_HEADER] = "body removed (card number)"
    message["Content-Type"] = 'text/plain; charset="us-ascii"'
    message["Content-Transfer-Encoding"] = "7bit"
    message.set_payload(NOTE)


def _holds_card(msg: ParsedMessage) -> bool:
    """What ``mime.parse_message`` gives of the message holds a card number."""
    headers = [value for name, value in msg.headers if name.lower() not in _NOT_TEXT]
    texts = [
        msg.text,
        msg.subject,
        msg.from_name,
        msg.from_address,
        *msg.to_addresses,
        *msg.cc_addresses,
        *msg.reply_to,
        *msg.forwarded,
        *headers,
    ]
    for attachment in msg.attachments:
        texts.append(attachment.filename)
        if is_text_like_type(attachment.content_type, attachment.filename):
            texts += _readings(attachment.data)
    if any(contains_card_number(text) for text in texts):
        return True
    htmls = [msg.html or ""] + [
        text for a in msg.attachments if a.content_type in HTML_TYPES for text in _readings(a.data)
    ]
    return any(contains_card_number(html, Syntax.HTML) for html in htmls)


def _readings(data: bytes) -> list[str]:
    readings = []
    for codec in ("utf-8", "cp1252", "latin-1"):
        try:
            readings.append(data.decode(codec))
        except UnicodeDecodeError:
            continue
        if data.isascii():
            break
    return readings


def _envelope_holds_card(raw: bytes, message: Message | None) -> bool:
    envelope = read_envelope(raw, message)
    return any(contains_card_number(value or "") for value in (envelope.subject, envelope.sender))


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with ``spans`` (sorted, apart) turned into NULs, which no run of digits crosses."""
    pieces: list[str] = []
    last = 0
    for start, end in spans:
        pieces += [text[last:start], "\x00" * (end - start)]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _kept_spans(text: str, message: Message | None) -> list[tuple[int, int]]:
    """Where ``text`` holds the message's identifiers, the machine headers of every part and the MIME
    boundaries, which stay as written: headers only in header blocks, boundaries only on delimiter lines
    and in ``boundary=`` (a body line shaped like either is text like any other)."""
    boundaries = sorted(
        {
            b
            for part in (message.walk() if message is not None else ())
            if part.is_multipart() and (b := part.get_boundary())
        }
    )
    delimiters = _delimiter_lines(text, boundaries)
    blocks = _header_blocks(text, [end for _start, end in delimiters])
    top = text[: blocks[0][1]]
    spans = [(m.start(), m.end()) for m in _FIELD.finditer(top) if m.group(1).lower() in IDENTIFIERS]
    for start, end in blocks:
        block = "\n" + text[start:end]  # machine fields start a line (the regular expression reads the break)
        spans += [(start + m.start(), start + m.end() - 1) for m in _MACHINE_FIELD.finditer(block)]
        for boundary in boundaries:
            spans += [
                (start + m.start(1), start + m.end(1))
                for m in re.finditer(rf'boundary\s*=\s*"?({re.escape(boundary)})', text[start:end], re.I)
            ]
    spans += delimiters
    return _merged(spans)


def _delimiter_lines(text: str, boundaries: list[str]) -> list[tuple[int, int]]:
    """The delimiter lines of ``boundaries`` (``--b`` or ``--b--``, nothing else on the line but spaces)."""
    if not boundaries:
        return []
    alternatives = "|".join(re.escape(b) for b in boundaries)
    return [m.span() for m in re.finditer(rf"^--(?:{alternatives})(?:--)?[ \t]*(?=\r?$)", text, re.M)]


def _header_blocks(text: str, part_starts: list[int]) -> list[tuple[int, int]]:
    """(start, end) of each header block: the message's, each part's (from the end of a delimiter line)
    and, after a block declaring a ``message/*`` content, the attached message's, to a blank line."""
    blocks: list[tuple[int, int]] = []
    starts = [0, *(text.find("\n", at) + 1 for at in part_starts if text.find("\n", at) >= 0)]
    while starts:
        start = starts.pop()
        blank = _BLANK_LINE.search(text, start)
        end = blank.start() if blank else len(text)
        blocks.append((start, end))
        after = text.find("\n", blank.start()) + 1 if blank else 0
        if after and _MESSAGE_CONTENT.search(text, start, end) and len(blocks) < _MAX_BLOCKS:
            starts.append(after)  # the attached message's own headers
    return sorted(blocks)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out
