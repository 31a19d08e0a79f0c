"""Card numbers in text: found, and masked so that only the last four digits remain (pure).

A card number is 13 to 19 digits, written together or in groups split by single spaces, dashes or
non-breaking spaces (``&nbsp;`` too, for HTML), passing the Luhn check. Not cards, by construction:
- a digit group glued to letters or to other digits by other punctuation (TRN ``...7890IT``, order
  numbers ``ORD-2024-000123``, ``X054``-style IBAN groups, Message-IDs in headers we never touch);
- a valid IBAN written in groups (its digits are skipped as a whole);
- numbers starting with 0 (no card does; phone numbers and zero-padded references do) or after "+"
  (international phone numbers);
- ISO and Italian dash dates (``2024-01-15``, ``15-01-2024``) inside the run.
CRO references (11 digits) are too short to qualify. Digits split by HTML tags are not joined.

``redact_raw_message`` applies the same to a raw message: every text/* part (decoded from base64 or
quoted-printable and from its charset, then encoded back the same way) and the free-text headers.
A part whose charset is unknown or wrong is redacted byte for byte (digits are ASCII in every
charset the mail carries); a message the parser cannot handle is redacted in its raw bytes.

A winmail.dat (TNEF) is binary and never rewritten: when its plain or HTML body, one of its text
files or one of its attached messages holds a card number (or, when it cannot be opened, its raw bytes
do), the whole part is replaced by a multipart marked ``X-Mailbot-Winmail: redacted`` holding its text
and its files, redacted (an attached message holding one becomes its redacted text), which the parser
lists and never opens again. What is not text inside it (compressed RTF bodies, other files) is not
searched, as with any binary attachment.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import io
import quopri
import re
from email.generator import BytesGenerator
from email.message import EmailMessage, Message
from typing import Any

from stdnum import luhn

from mailbot.inbound.identifiers import validate_iban
from mailbot.inbound.mime import READ_POLICY, safe_filename
from mailbot.inbound.winmail import (
    MAX_PER_MESSAGE,
    SUBSTITUTE_HEADER,
    TNEF_SIGNATURE,
    Winmail,
    WinmailFile,
    is_substitute,
    is_winmail,
    read_winmail,
)

MASK = "[CARTA RIMOSSA ****{last4}]"
MIN_DIGITS, MAX_DIGITS = 13, 19

_SEPARATOR = r"(?:[ \-\u00a0]|&nbsp;|&#160;)"
_RUN = re.compile(rf"(?<![\w+\-])(?<!\+ )\d+(?:{_SEPARATOR}\d+)*(?![\w\-])")
_GROUP = re.compile(r"\d+")
_SPACED_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ \u00a0][A-Za-z0-9]{1,4}){3,9}")
_DATE = re.compile(r"(?<!\d)(?:\d{4}-\d{2}-\d{2}|\d{2}-\d{2}-\d{4})(?!\d)")


def find_card_numbers(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of the card numbers in ``text``, in order."""
    protected = _iban_spans(text)
    spans: list[tuple[int, int]] = []
    for run in _RUN.finditer(text):
        masked = run.group().replace("&#160;", "&#---;")  # the entity's digits are not card digits
        groups = [(m.start() + run.start(), m.end() + run.start()) for m in _GROUP.finditer(masked)]
        spans += [
            span for span in _cards_in_run(text, groups) if not any(s < span[1] and span[0] < e for s, e in protected)
        ]
    return spans


def contains_card_number(text: str) -> bool:
    return bool(find_card_numbers(text))


def redact_text(text: str) -> tuple[str, bool]:
    """``text`` with every card number masked, and whether there was one."""
    spans = find_card_numbers(text)
    if not spans:
        return text, False
    parts: list[str] = []
    last = 0
    for start, end in spans:
        digits = _digits(text[start:end])
        parts += [text[last:start], MASK.format(last4=digits[-4:])]
        last = end
    parts.append(text[last:])
    return "".join(parts), True


def _cards_in_run(text: str, groups: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Leftmost-longest whole-group ranges of a run that form a card number."""
    found: list[tuple[int, int]] = []
    i = 0
    while i < len(groups):
        j, digits = i, 0
        while j < len(groups) and digits + groups[j][1] - groups[j][0] <= MAX_DIGITS:
            digits += groups[j][1] - groups[j][0]
            j += 1
        for last in range(j, i, -1):  # longest first; never more than MAX_DIGITS digits
            start, end = groups[i][0], groups[last - 1][1]
            if _is_card(text[start:end]):
                found.append((start, end))
                i = last
                break
        else:
            i += 1
    return found


def _is_card(candidate: str) -> bool:
    digits = _digits(candidate)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS or digits[0] == "0":
        return False
    return not _DATE.search(candidate) and bool(luhn.is_valid(digits))


def _digits(candidate: str) -> str:
    return "".join(_GROUP.findall(candidate.replace("&#160;", " ")))


def _iban_spans(text: str) -> list[tuple[int, int]]:
    """Spans of valid IBANs written in groups (the longest valid prefix of each group run)."""
    spans: list[tuple[int, int]] = []
    for match in _SPACED_IBAN.finditer(text):
        groups = match.group().replace("\u00a0", " ").split(" ")
        for size in range(len(groups), 3, -1):
            candidate = " ".join(groups[:size])
            if validate_iban(candidate) is None:
                spans.append((match.start(), match.start() + len(candidate)))
                break
    return spans


TEXT_HEADERS = ("Subject", "Thread-Topic", "Comments", "Keywords")  # never Message-ID and friends
_RAW_HEADER = re.compile(r"^(?:subject|thread-topic|comments|keywords):.*(?:\r?\n[ \t].*)*", re.I | re.M)
_HEADER_END = re.compile(r"\r?\n\r?\n")


def redact_raw_message(raw: bytes) -> tuple[bytes, bool]:
    """``raw`` with every card number masked in headers and text parts, and whether there was one.
    Without card numbers the very same bytes come back."""
    redacted, found, _parsed = redact_and_parse(raw)
    return redacted, found


def redact_and_parse(raw: bytes) -> tuple[bytes, bool, EmailMessage | None]:
    """``redact_raw_message``, and the parse of ``raw`` (``mime.READ_POLICY``) when it had nothing to
    redact: then it is the parse of the very bytes returned, untouched, for ``mime.parse_message``."""
    try:
        message = email.message_from_bytes(raw, policy=READ_POLICY)
        changed = False
        parts = list(message.walk())  # not the substitutes put in place of a winmail.dat on the way
        sealed = {id(sub) for part in parts if is_substitute(part) for sub in part.walk() if sub is not part}
        winmails = MAX_PER_MESSAGE  # as many as the parser opens
        for part in parts:
            changed |= _redact_headers(part)
            if part.get_content_maintype() == "text" and not part.is_multipart():
                changed |= _redact_part(part)
            elif winmails > 0 and id(part) not in sealed and is_winmail(part):
                winmails -= 1
                changed |= _redact_winmail(part)
        if not changed:
            return raw, False, message
        return _serialise(message, raw), True, None
    except Exception:  # malformed beyond what the parser tolerates: work on the bytes
        return (*redact_raw_bytes(raw), None)


def _redact_headers(part: Message) -> bool:
    changed = False
    for name in TEXT_HEADERS:
        values = [str(value) for value in part.get_all(name, [])]
        redacted = [redact_text(value) for value in values]
        if not any(found for _text, found in redacted):
            continue
        if len(values) == 1:
            part.replace_header(name, redacted[0][0])
        else:
            del part[name]
            for text, _found in redacted:
                part[name] = text
        changed = True
    return changed


def _redact_part(part: Message) -> bool:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return False
    charset = part.get_content_charset() or "us-ascii"
    try:
        text = payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        charset = "latin-1"  # undecodable: one character per byte, so the digits are redacted in place
        text = payload.decode(charset)
    redacted, found = redact_text(text)
    if found:
        _set_encoded_payload(part, redacted.encode(charset))
    return found


def _redact_winmail(part: Message) -> bool:
    """Replace a winmail.dat holding a card number by its text and files, redacted (see the docstring)."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return False
    winmail = read_winmail(data)
    if not _holds_card(winmail, data):
        return False
    boundary = "mailbot-winmail-" + hashlib.sha256(data).hexdigest()[:32]  # the same output every time
    try:
        substitute = _substitute(winmail, boundary, with_files=True)
    except Exception:  # a file the generator refuses: the text alone
        substitute = _substitute(winmail, boundary, with_files=False)
    _replace_content(part, substitute)
    return True


def _holds_card(winmail: Winmail, data: bytes) -> bool:
    """A card number in the bodies, the text files or the attached messages of a winmail.dat (``data``),
    or anywhere in its bytes when it cannot be opened."""
    if not winmail.opened:
        return contains_card_number(data.decode("latin-1"))
    texts = [winmail.body, winmail.html or ""]
    texts += [file.data.decode("latin-1") for file in winmail.files if file.content_type.startswith("text/")]
    return any(contains_card_number(text) for text in texts) or any(
        _holds_card(read_winmail(file.data), file.data)  # as deep as read_winmail accepted the nesting
        for file in winmail.files
        if _is_message(file)
    )


def _is_message(file: WinmailFile) -> bool:
    return file.data.startswith(TNEF_SIGNATURE)


def _substitute(winmail: Winmail, boundary: str, *, with_files: bool) -> EmailMessage:
    """The text, then the files: text files redacted, an attached message with a card number as its
    redacted text (its binary stream is never rewritten), other files as they are."""
    substitute = EmailMessage()
    substitute.set_content(redact_text(winmail.text)[0], disposition="attachment", filename="winmail.txt")
    substitute.make_mixed(boundary=boundary)
    for index, file in enumerate(winmail.files if with_files else (), start=2):
        name = safe_filename(file.name, index)
        maintype, _, subtype = file.content_type.partition("/")
        if maintype in ("message", "multipart") or not subtype:  # a leaf, whatever its name says
            maintype, subtype = "application", "octet-stream"
        content = file.data
        if maintype == "text":
            content = redact_text(content.decode("latin-1"))[0].encode("latin-1")  # digits are ASCII
        elif _is_message(file) and _holds_card(attached := read_winmail(content), content):
            name, maintype, subtype = name + ".txt", "text", "plain"
            content = redact_text(attached.text)[0].encode("utf-8")
        substitute.add_attachment(content, maintype, subtype, filename=name)
    substitute[SUBSTITUTE_HEADER] = "redacted"
    substitute["Content-Description"] = "winmail.dat with a card number, replaced by its text and files, redacted"
    return substitute


def _replace_content(part: Message, new: EmailMessage) -> None:
    """``part`` becomes ``new``: its Content-* headers and payload replaced, its other headers kept (a
    winmail.dat can be the whole message, whose From and Subject stay)."""
    for name in {key.lower() for key in part if key.lower().startswith("content-")} | {SUBSTITUTE_HEADER}:
        del part[name]
    for name, value in new.items():
        if name.lower().startswith("content-") or name.lower() == SUBSTITUTE_HEADER.lower():
            part[name] = value
    payload: Any = new.get_payload()
    part.set_payload(payload)


def _set_encoded_payload(part: Message, data: bytes) -> None:
    """Replace the body keeping its headers and its transfer encoding."""
    cte = str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower()
    if cte == "base64":
        body = base64.encodebytes(data).decode("ascii")
    elif cte == "quoted-printable":
        body = quopri.encodestring(data.replace(b"\r\n", b"\n")).decode("ascii")
    else:
        body = data.decode("ascii", "surrogateescape")  # how the parser keeps 8-bit bodies
    part.set_payload(body)


def _serialise(message: EmailMessage, raw: bytes) -> bytes:
    linesep = "\r\n" if b"\r\n" in raw[:4096] else "\n"
    policy = email.policy.default.clone(linesep=linesep, refold_source="none")
    out = io.BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=policy).flatten(message)
    return out.getvalue()


def redact_raw_bytes(raw: bytes) -> tuple[bytes, bool]:
    """Card numbers masked in the bytes themselves, for a message the parser cannot handle: the free-text
    headers and everything after the header block, read one character per byte."""
    text = raw.decode("latin-1")
    end = _HEADER_END.search(text)
    split = end.end() if end else 0
    head, body = text[:split], text[split:]
    found_any = False

    def header(match: re.Match[str]) -> str:
        nonlocal found_any
        redacted, found = redact_text(match.group())
        found_any |= found
        return redacted

    head = _RAW_HEADER.sub(header, head)
    body, found = redact_text(body)
    if not (found or found_any):
        return raw, False
    return (head + body).encode("latin-1"), True
