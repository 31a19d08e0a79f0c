"""Delivery failures: is this a bounce, who bounced, and is it final.

Standard DSNs (multipart/report; report-type=delivery-status, or a delivery-status part of the
message's own in another multipart) are read from their message/delivery-status part: each recipient
as finally tried and as the sender wrote it. Amazon SES's JSON notifications are read in ``ses``.
Everything else (qmail, Exchange NDRs, provider-specific formats) is recognised by its sender and
subject, and its recipients come from X-Failed-Recipients, then the lines that state them (a Sendmail
transcript, "could not be delivered to <a@b>"), then flufl.bounce, then the body ("<user@domain>: ..."
lines, Final-Recipient lines in plain text). Permanent versus temporary comes from the status code:
5.x.x / 5xx permanent, 4.x.x / 4xx temporary; when the MTA only says it gave up, permanent. A DSN's
status is also kept per recipient (``BounceInfo.status_of``): what a bounce does to an address depends
on the status it gives that address (``outbound.refusals``).
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email import policy
from email.message import Message

from mailbot.understand.mime import ParsedMessage

_DAEMON = re.compile(
    r"^(mailer-daemon|postmaster|post_master|mail-daemon|mailerdaemon|maildelivery|mail-delivery|mail\.delivery"
    r"|double-bounce|bounce|bounces|nobody|mdaemon)(@|$)|^(mailer-daemon|postmaster)[.@]",
    re.IGNORECASE,
)
_NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply)(?:@|$)", re.IGNORECASE)
_DAEMON_NAME = re.compile(r"mail delivery (subsystem|system|service)|mailer.daemon|postmaster", re.IGNORECASE)
_SUBJECTS = re.compile(
    r"undeliver(ed|able|ability)|returned mail|return(ed)? to sender|delivery (status notification|failure"
    r"|failed|problem|has failed|notification|report|incomplete)|mail delivery fail|failure notice|failed mail"
    r"|could not be delivered|non.?recapitabil|mancata consegna|impossibile recapitare|delivery unsuccessful"
    r"|message not delivered|nondeliverable|non remis|unzustellbar|nicht zugestellt|no se puede entregar"
    r"|warning: could not send|delayed mail|mail could not be delivered|rejected|notification d.?etat"
    r"|unable to deliver|sending failed|mail system error|bounce|error sending|no valid recipients",
    re.IGNORECASE,
)
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_SMTP_CODE = re.compile(r"(?<![\d.\-/:])([45])[0-5]\d(?=[ \-])")
# An address, its parts no longer than RFC 5321 allows: unbounded, a text of ``a.a.a...`` made
# every start of a word scan to the end of the text (quadratic). A local part may be quoted
# (``"mario..rossi."@example.it``, RFC 5321 4.1.2): the quotes are part of the address.
_LOCAL = r"(?:\"[^\"\\\r\n]{1,62}\"|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64})"
_HOST = r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDR = _LOCAL + _HOST + r"(?:\.[A-Za-z0-9-]{1,63}){1,8}"
# A DSN's recipient field holds an address and nothing else: there a host without a dot (an MTA's
# local name, ``mario@mailhub0``) is an address too.
_DSN_ADDR = re.compile(_LOCAL + _HOST + r"(?:\.[A-Za-z0-9-]{1,63}){0,8}")
_FIELDS = 2  # the first patterns of _BODY_RECIPIENT: fields that name the failed recipient, whoever it is
_BODY_RECIPIENT = (
    re.compile(rf"(?:final|original)-recipient:\s*(?:rfc822\s*;)?\s*<?({_ADDR})", re.IGNORECASE),
    re.compile(rf"x-failed-recipients:\s*<?({_ADDR})", re.IGNORECASE),
    re.compile(rf"^\s*<({_ADDR})>\s*:", re.MULTILINE),
    re.compile(rf"^\s*<?({_ADDR})>?\s*$", re.MULTILINE),
    re.compile(rf"(?:to|recipient|address|rcpt to:?|for|user)\s*:?\s*<({_ADDR})>", re.IGNORECASE),
    re.compile(rf"^\s*({_ADDR})\s*[:(\[]", re.MULTILINE),
    re.compile(rf"(?:failed|errors?|recipients?|address(?:es)?)\s*:\s*<?({_ADDR})", re.IGNORECASE),
    re.compile(rf"^\s*({_ADDR})\s+on\s", re.MULTILINE),
    re.compile(rf"<({_ADDR})>", re.IGNORECASE),
    re.compile(rf"\b({_ADDR})\b", re.IGNORECASE),
)
_ORIGINAL_COPY = re.compile(
    r"^.*(below this line is a copy|original message(?! was received)|message headers follow|copy of (the|your) message"
    r"|messaggio originale|undelivered message|returned message|original headers|unsent message).*$",
    re.IGNORECASE | re.MULTILINE,
)
# Sendmail's transcript: a line of its own for each failed recipient, ``554 <a@b.it>... why`` (the
# other server's words are quoted with ``<<<``, its host lines name no address).
# Or in words, ``could not be delivered to: <a@b.it>``, ``error delivering your mail to <a@b.it>``;
# or as a DSN field in the text (a report whose parts never open), with the address the sender wrote
# when an MTA expanded it, ``(expanded from: <a@b.it>)``.
_STATED = (
    re.compile(rf"^[ \t]*[45]\d\d(?:[ -][45]\.\d{{1,3}}\.\d{{1,3}})? <({_ADDR})>\.\.\.", re.MULTILINE),
    re.compile(rf"\bdeliver(?:ed|ing|y)?\b[^\n<>@]{{0,30}}?\bto:?[ \t]*<({_ADDR})>", re.IGNORECASE),
    re.compile(rf"^[ \t]*final-recipient:[ \t]*(?:rfc822[ \t]*;)?[ \t]*<?({_ADDR})", re.IGNORECASE | re.MULTILINE),
    re.compile(rf"\(expanded from:?\s*<({_ADDR})>\)", re.IGNORECASE),
)


# A report says whom and why near its top: what follows (the message returned, whatever its size) is
# not read for it.
READ_CHARS = 64 * 1024
READ_BYTES = 256 * 1024  # of the raw message, for flufl.bounce (its detectors search every line)


@dataclass(frozen=True)
class BounceInfo:
    recipients: tuple[str, ...]
    permanent: bool
    status: str | None  # the first status found (the whole bounce's, as far as one can be said)
    statuses: tuple[tuple[str, str], ...] = ()  # (recipient, status) from a DSN's per-recipient blocks

    def status_of(self, address: str) -> str | None:
        """The status this bounce gives ``address``: its own in a DSN; else the bounce's status when
        the bounce names no other recipient (with several, whose status it is cannot be said)."""
        key = address.strip().lower()
        for recipient, status in self.statuses:
            if recipient == key:
                return status
        others = {r.strip().lower() for r in self.recipients} - {key}
        return None if others else self.status


def is_delivery_report(msg: ParsedMessage, raw_msg: Message) -> bool:
    """A multipart/report of delivery status, or a message with a delivery-status part of its own (McAfee's
    gateway and some Postfix setups send one in multipart/mixed); not one inside a message it carries
    (a person forwarding a bounce)."""
    if raw_msg.get_content_type() != "multipart/report":
        return _delivery_status_part(raw_msg) is not None
    report_type = str(raw_msg.get_param("report-type", "") or "").lower()
    return report_type in ("delivery-status", "") or _delivery_status_part(raw_msg) is not None


def bounce_signals(msg: ParsedMessage) -> list[str]:
    """Why a message that is not a standard DSN still looks like a bounce (empty when it does not)."""
    reasons = []
    if msg.header("X-Failed-Recipients"):
        reasons.append("X-Failed-Recipients header")
    if _DAEMON.search(msg.from_address) or (not msg.from_address and _DAEMON_NAME.search(msg.from_name)):
        reasons.append(f"from {msg.from_address or msg.from_name}")
    elif _DAEMON_NAME.search(msg.from_name):
        reasons.append(f"sender name {msg.from_name!r}")
    if _SUBJECTS.search(msg.subject) and not re.match(r"\s*(re|r|aw|sv|fw|fwd|i)\s*:", msg.subject, re.I):
        reasons.append(f"subject {msg.subject[:60]!r}")
    if not reasons and _is_machine_sender(msg) and stated_recipients(msg.text, frozenset()):
        reasons.append("a null or no-reply sender whose text says it could not deliver")
    return reasons


def _is_machine_sender(msg: ParsedMessage) -> bool:
    """A null return path (RFC 5321 4.5.5: what a bounce is sent with), no From, or a no-reply From."""
    null = (msg.header("Return-Path") or "").strip() == "<>"
    return null or not msg.from_address or _NO_REPLY.search(msg.from_address) is not None


_MAX_PARTS = 200  # a report has a handful; a message built to be walked forever is not walked


def _delivery_status_part(raw_msg: Message) -> Message | None:
    """The message's own delivery-status part: the parts of a message it carries are not looked into."""
    todo, seen = [raw_msg], 0
    while todo and seen < _MAX_PARTS:
        part, seen = todo.pop(), seen + 1
        if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
            return part
        payload = part.get_payload() if part.get_content_maintype() == "multipart" else None
        if isinstance(payload, list):
            todo.extend(reversed([sub for sub in payload if isinstance(sub, Message)]))
    return None


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = payload if isinstance(payload, str) else ""
    blocks = re.split(r"\r?\n\s*\r?\n", text)
    return [
        email.message_from_string(block.strip() + "\n", policy=policy.compat32) for block in blocks if block.strip()
    ]


def _address_of(value: str | None) -> str | None:
    if not value:
        return None
    match = _DSN_ADDR.search(value.split(";", 1)[-1])
    return match.group(0).lower() if match else None


@dataclass(frozen=True)
class Dsn:
    """What a message/delivery-status part says, block by block."""

    recipients: list[str]
    statuses: list[str]
    actions: list[str]
    status_of: list[tuple[str, str]]  # (recipient, its status code) where a block gives both


_RECIPIENT_FIELDS = ("final-recipient", "original-recipient")


def _recipient_fields(block: Message) -> list[dict[str, str]]:
    """A block's fields (the first of each name), split where a recipient field comes again: some MTAs
    (AOL's) write the fields of every recipient one after the other, with no blank line between."""
    records: list[dict[str, str]] = [{}]
    for name, value in block.items():
        key = name.lower()
        if key in _RECIPIENT_FIELDS and key in records[-1]:
            records.append({})
        records[-1].setdefault(key, str(value))
    return records


def read_dsn(raw_msg: Message) -> Dsn:
    """Recipients, status codes, actions and each recipient's status from the message/delivery-status part.

    A recipient is its Final-Recipient and, when another, its Original-Recipient: the address the
    sender wrote, which an MTA may have expanded (an alias, a forward) into the final one."""
    part = _delivery_status_part(raw_msg)
    dsn = Dsn([], [], [], [])
    if part is None:
        return dsn
    for block in _status_blocks(part):
        try:
            records = _recipient_fields(block)
        except Exception:
            continue
        for fields in records:
            addresses = (_address_of(fields.get(name)) for name in _RECIPIENT_FIELDS)
            rcpts = [rcpt for rcpt in dict.fromkeys(addresses) if rcpt]
            status, action = fields.get("status", "").strip(), fields.get("action", "").strip().lower()
            dsn.recipients.extend(rcpts)
            if status:
                dsn.statuses.append(status)
                code = _STATUS.search(status)
                dsn.status_of.extend((rcpt, code.group(0)) for rcpt in rcpts if code)
            if action:
                dsn.actions.append(action)
    return dsn


def flufl_failures(raw: bytes) -> tuple[list[str], list[str]]:
    """(temporary, permanent) recipients found by flufl.bounce's detectors, in the first READ_BYTES."""
    from flufl.bounce import all_failures  # loaded only for a bounce that names no recipient itself

    try:
        temporary, permanent = all_failures(email.message_from_bytes(raw[:READ_BYTES], policy=policy.compat32))
    except Exception:
        return [], []

    def clean(items: frozenset[bytes]) -> list[str]:
        out = [item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item) for item in items]
        found = (addr.strip("<> ").lower() for addr in out)
        return sorted(addr for addr in found if re.fullmatch(r"[^@\s]+@[^@\s]+", addr))  # not "@mx.example.org"

    return clean(temporary), clean(permanent)


def prefer_others(found: list[str], avoid: frozenset[str]) -> list[str]:
    """``found`` without the addresses to avoid, unless it names no other. A bounce returns to the sender
    of the failed message, whom its text names as well; but a message sent to oneself fails to oneself."""
    others = [addr for addr in found if addr not in avoid]
    return others or found


def stated_recipients(text: str, exclude: frozenset[str], avoid: frozenset[str] = frozenset()) -> list[str]:
    """Every recipient the text of a bounce says it failed to deliver to, before the copy of the message:
    in a Sendmail transcript or in words. A postmaster address is one like any other here."""
    text = text[:READ_CHARS]
    copy = _ORIGINAL_COPY.search(text)
    end = copy.start() if copy else len(text)
    found = [m.group(1).lower() for pattern in _STATED for m in pattern.finditer(text, 0, end)]
    return prefer_others([addr for addr in dict.fromkeys(found) if addr not in exclude], avoid)


def body_recipients(text: str, exclude: frozenset[str], avoid: frozenset[str] = frozenset()) -> list[str]:
    """Failed recipients named in a bounce body (its first READ_CHARS), most specific pattern first: the
    first that names one not to avoid, else the first that names one."""
    text = text[:READ_CHARS]
    copy = _ORIGINAL_COPY.search(text)
    if copy and copy.start() > 0:
        found = body_recipients(text[: copy.start()], exclude, avoid)
        if found:
            return found
    first: list[str] = []
    for index, pattern in enumerate(_BODY_RECIPIENT):
        found = [m.group(1).lower().rstrip(".") for m in pattern.finditer(text)]
        found = [addr for addr in dict.fromkeys(found) if addr not in exclude and not _DAEMON.search(addr)]
        others = found if index < _FIELDS else [addr for addr in found if addr not in avoid]
        if others:
            return others
        first = first or found
    return first


def is_permanent(statuses: list[str], actions: list[str], text: str) -> tuple[bool, str | None]:
    text = text[:READ_CHARS]
    codes = [m.group(0) for status in statuses for m in [_STATUS.search(status)] if m]
    if not codes:
        codes = [m.group(0) for m in _STATUS.finditer(text) if m.group(1) in "45"][:1]
    if codes:
        return any(code.startswith("5") for code in codes), codes[0]
    if actions:
        return "delayed" not in actions or "failed" in actions, None
    smtp = _SMTP_CODE.search(text)
    if smtp:
        return smtp.group(1) == "5", smtp.group(0)
    temporary = re.search(r"will (be retried|retry|continue to try)|delayed|still trying|temporar", text, re.I)
    return temporary is None, None
