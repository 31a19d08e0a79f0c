"""Building the email for an outbox row; pure (values in, a message out, nothing sent).

The row was rendered when it was enqueued, so this only wraps its subject and bodies in headers.
The Message-ID is the one fixed at enqueue time: a retried message keeps it, so a reply to any
copy is matched to the same row. Both parts are UTF-8 quoted-printable, safe on any relay.

Two builders share one header list (``headers``): ``build_message`` makes an ``EmailMessage`` (for
previews and tests, and for the rare row the fast path does not take), ``encode_message`` writes the
same email straight to wire bytes (what the drain sends: about 40 times cheaper than building and
flattening an ``EmailMessage`` with ``email.policy.default``). A test parses both and compares them.
"""

from __future__ import annotations

import binascii
import functools
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, formataddr

from mailbot.config import MailConfig
from mailbot.db.models import OutboundMessage
from mailbot.outbound.outbox import reply_address
from mailbot.text import header_text, is_header_safe, is_hidden


@dataclass(frozen=True)
class OutgoingMail:
    """An email ready for the wire: envelope and RFC 5322 bytes (CRLF line ends, 7-bit)."""

    sender: str  # envelope MAIL FROM
    recipients: tuple[str, ...]  # envelope RCPT TO
    data: bytes
    message_id: str


def headers(row: OutboundMessage, mail: MailConfig, now: datetime) -> list[tuple[str, str]]:
    """The top-level headers of ``row``'s email, in order, except From and the MIME ones.

    Every value is one line free of control characters (``mailbot.text.header_text``): the Subject,
    which may quote a customer's, is cleaned; a thread id holding a control character is left out
    (threading is a courtesy); any other value holding one (an address) is refused with ValueError."""
    if now.tzinfo is None:
        raise ValueError("build_message needs a timezone-aware now")
    _check_header("mail.from_name", mail.from_name)
    items = [
        ("To", row.to_address),
        ("Subject", header_text(row.subject)),
        ("Date", format_datetime(now)),
        ("Message-ID", row.message_id),
        ("Reply-To", reply_address(mail, row.reply_token)),
    ]
    # RFC 3834: mark the mail as automatic, so well-behaved responders do not answer it;
    # the second header asks Exchange/Outlook for the same. A reply to a customer's message
    # (details set by mailbot/act/replies.py) is "auto-replied" and threads under it.
    details = row.details or {}
    if details.get("auto_submitted") == "auto-replied":
        items.append(("Auto-Submitted", "auto-replied"))
        items.append(("X-Auto-Response-Suppress", "All"))
        in_reply_to = _thread_ids(str(details.get("in_reply_to") or ""))
        references = _thread_ids(str(details.get("references") or "")) or in_reply_to
        if in_reply_to:
            items.append(("In-Reply-To", in_reply_to))
        if references:
            items.append(("References", references))
    else:
        items.append(("Auto-Submitted", "auto-generated"))
        items.append(("X-Auto-Response-Suppress", "OOF, AutoReply"))
    items.append(("X-Mailbot-Template", row.template))
    for name, value in items:
        _check_header(name, value)
    return items


def _check_header(name: str, value: str) -> None:
    if not is_header_safe(value):
        raise ValueError(f"header {name} may not contain a line break or a control character: {value!r}")


def _thread_ids(value: str) -> str:
    """The message ids of an In-Reply-To or References value, without those holding a control character."""
    ids = re.findall(r"<[^<>]*>", value) or [value.strip()]
    return " ".join(i for i in ids if i and not any(is_hidden(c) for c in i))


def build_message(row: OutboundMessage, mail: MailConfig, now: datetime) -> EmailMessage:
    """The ``multipart/alternative`` email of ``row``, dated ``now`` (timezone-aware)."""
    items = headers(row, mail, now)
    message = EmailMessage(policy=default_policy)
    message["From"] = _address(mail.from_name, mail.from_address)
    for name, value in items:
        message[name] = value
    message.set_content(row.body_text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(row.body_html, subtype="html", charset="utf-8", cte="quoted-printable")
    if row.language:  # after the parts: set_content drops Content-* headers set before it
        message["Content-Language"] = row.language
    return message


def outgoing(row: OutboundMessage, mail: MailConfig, now: datetime) -> OutgoingMail | EmailMessage:
    """What the drain hands to the sender: wire bytes, or an ``EmailMessage`` when an address or a
    message id is not plain ASCII (the sender then negotiates SMTPUTF8 as aiosmtplib does)."""
    encoded = encode_message(row, mail, now)
    return encoded if encoded is not None else build_message(row, mail, now)


# An address or message id the fast path writes as it is: ASCII, no spaces, quotes, brackets or commas.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]+\Z")
_PLAIN_IDS = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+>( <[\x21-\x3b\x3d\x3f-\x7e]+>)*\Z")
_STRUCTURED = {"To": _PLAIN_ADDRESS, "Reply-To": _PLAIN_ADDRESS, "Message-ID": _PLAIN_IDS}
_STRUCTURED.update({"In-Reply-To": _PLAIN_IDS, "References": _PLAIN_IDS})
_MAX_LINE = 78


def encode_message(row: OutboundMessage, mail: MailConfig, now: datetime) -> OutgoingMail | None:
    """``build_message`` written straight to bytes; None when a structured header is not plain ASCII.

    Unstructured values (Subject, the From display name) are RFC 2047 encoded when not ASCII and
    folded when long; bodies are normalised to one newline style, as ``set_content`` does, and
    quoted-printable encoded. The boundary is ``=`` signs around random hex: quoted-printable text
    never holds ``==``, so it cannot collide with a body line.
    """
    if not (_PLAIN_ADDRESS.match(mail.from_address) and mail.from_address.count("@") == 1):
        return None
    items = headers(row, mail, now)  # checked there: one line each, no control character
    lines = [_from_header(mail.from_name, mail.from_address)]
    for name, value in items:
        plain = _STRUCTURED.get(name)
        if plain is not None:
            if not plain.match(value) or (plain is _PLAIN_ADDRESS and value.count("@") != 1):
                return None
            lines.append(_structured(name, value))
        else:
            lines.append(_unstructured(name, value))
    boundary = "===============" + secrets.token_hex(10) + "=="
    lines.append("MIME-Version: 1.0")
    lines.append(f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"')
    if row.language:
        lines.append(_unstructured("Content-Language", row.language))
    head = "\r\n".join(lines)
    if any(len(line) > 998 for line in head.split("\r\n")):
        return None  # a word too long to fold at a space: the EmailMessage path encodes it
    head_bytes = head.encode("ascii")
    dash = b"--" + boundary.encode("ascii")
    data = b"".join(
        [
            head_bytes,
            b"\r\n\r\n",
            dash,
            b'\r\nContent-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n',
            _quoted_printable(row.body_text),
            b"\r\n",  # the line end before a boundary belongs to the boundary (RFC 2046)
            dash,
            b'\r\nContent-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n',
            _quoted_printable(row.body_html),
            b"\r\n",
            dash,
            b"--\r\n",
        ]
    )
    return OutgoingMail(sender=mail.from_address, recipients=(row.to_address,), data=data, message_id=row.message_id)


@functools.lru_cache(maxsize=8)  # the same for every message of a configuration
def _from_header(display_name: str, addr_spec: str) -> str:
    if not display_name:
        return f"From: {addr_spec}"
    if display_name.isascii():
        return _structured("From", formataddr((display_name, addr_spec)))
    encoded = "From: " + Header(display_name, "utf-8", header_name="From").encode(linesep="\r\n")
    last_line = len(encoded) - encoded.rfind("\n") - 1
    space = " " if last_line + len(addr_spec) + 3 <= _MAX_LINE else "\r\n "
    return f"{encoded}{space}<{addr_spec}>"


def _unstructured(name: str, value: str) -> str:
    if value.isascii() and len(name) + 2 + len(value) <= _MAX_LINE:
        return f"{name}: {value}"
    charset = "us-ascii" if value.isascii() else "utf-8"
    return f"{name}: " + Header(value, charset, header_name=name).encode(linesep="\r\n")


def _structured(name: str, value: str) -> str:
    """An ASCII value as it is; a long one folded at its spaces (between message ids or words)."""
    line = f"{name}: {value}"
    if len(line) > _MAX_LINE:
        line = line.replace(" ", "\r\n ").replace(":\r\n ", ": ", 1)
    if any(len(part) > 998 for part in line.split("\r\n")):
        raise ValueError(f"header {name} has a line too long for SMTP")
    return line


def _quoted_printable(text: str) -> bytes:
    """UTF-8, one line end style (as ``EmailMessage.set_content``), quoted-printable, CRLF, final CRLF."""
    normal = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    return binascii.b2a_qp(normal, istext=True).replace(b"\n", b"\r\n")


def _address(display_name: str, addr_spec: str) -> Address:
    """An address whose display name is encoded (RFC 2047) when it is not plain ASCII."""
    return Address(display_name=display_name, addr_spec=addr_spec)
