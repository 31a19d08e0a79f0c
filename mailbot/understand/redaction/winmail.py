"""A winmail.dat (TNEF) holding a card number, replaced by its text and files, redacted (pure).

A winmail.dat is binary and never rewritten: when its plain or HTML body, one of its text files or one
of its attached messages holds a card number (or, when it cannot be opened, its raw bytes do), the
whole part is replaced by a multipart marked ``X-Mailbot-Winmail: redacted`` holding its text and its
files, redacted (an attached message holding one becomes its redacted text), which the parser lists
and never opens again. What is not text inside it (compressed RTF bodies, other files) is not
searched, as with any binary attachment.
"""

from __future__ import annotations

import hashlib
from email.message import EmailMessage, Message
from typing import Any

from mailbot.understand.cards.find import Syntax, contains_card_number, redact_html, redact_in_place, redact_text
from mailbot.understand.mime import safe_filename
from mailbot.understand.winmail import SUBSTITUTE_HEADER, TNEF_SIGNATURE, Winmail, WinmailFile, read_winmail


def redact_winmail(part: Message) -> bool:
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
        return contains_card_number(data.decode("latin-1"), Syntax.RAW)
    texts = [winmail.body, *(file.data.decode("latin-1") for file in winmail.files if _is_text(file))]
    return (
        any(contains_card_number(text) for text in texts)
        or contains_card_number(winmail.html or "", Syntax.HTML)
        or contains_card_number(winmail.text)
        or any(_holds_card(read_winmail(file.data), file.data) for file in winmail.files if _is_message(file))
    )


def _is_message(file: WinmailFile) -> bool:
    return file.data.startswith(TNEF_SIGNATURE)


def _is_text(file: WinmailFile) -> bool:
    return file.content_type.startswith("text/")


def _substitute(winmail: Winmail, boundary: str, *, with_files: bool) -> EmailMessage:
    """The text, then the files: text files redacted, an attached message with a card number as its
    redacted text (its binary stream is never rewritten), other files as they are."""
    substitute = EmailMessage()
    substitute.set_content(redact_text(winmail.text)[0], disposition="attachment", filename="winmail.txt")
    substitute.make_mixed(boundary=boundary)
    for index, file in enumerate(winmail.files if with_files else (), start=2):
        name = redact_text(safe_filename(file.name, index))[0]
        maintype, _, subtype = file.content_type.partition("/")
        if maintype in ("message", "multipart") or not subtype:  # a leaf, whatever its name says
            maintype, subtype = "application", "octet-stream"
        content = file.data
        if maintype == "text":
            text = content.decode("latin-1")  # digits are ASCII: one character per byte, redacted in place
            text = redact_html(text)[0] if subtype == "html" else redact_text(text)[0]
            content = redact_in_place(text)[0].encode("latin-1", "replace")
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
