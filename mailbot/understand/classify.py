"""Who wrote this: a person, an auto-responder, a mail server reporting a failure, or a list.

`classify` returns the kind with the reasons that decided it (kept for the staff trace). Only
`human` mail is ever answered. Order matters: our own address first (never answer ourselves), then
bounces (they often carry Auto-Submitted too), then auto-replies, then lists.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email import policy
from email.message import Message

from mailbot.domain import SenderKind
from mailbot.understand.bounces import (
    BounceInfo,
    Dsn,
    body_recipients,
    bounce_signals,
    flufl_failures,
    is_delivery_report,
    is_permanent,
    prefer_others,
    read_dsn,
    stated_recipients,
)
from mailbot.understand.mime import ParsedMessage
from mailbot.understand.ses import read_ses_bounce

KINDS = tuple(SenderKind)

_AUTO_SUBJECT = re.compile(
    r"^\s*(risposta automatica|fuori sede|assente|automatic reply|auto:|auto.?reply|auto.?response|out of (the )?office"
    r"|abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|absence|odpowied[źz] automatyczna"
    r"|respuesta autom[áa]tica|automatisch antwoord|autosvar)",
    re.IGNORECASE,
)
_AUTO_SUBJECT_ANYWHERE = re.compile(
    r"\b(out of (the )?office|fuori (sede|ufficio)|risposta automatica|automatic reply|autoreply|auto-reply"
    r"|abwesenheitsnotiz|r[ée]ponse automatique|odpowied[źz] automatyczna)",
    re.IGNORECASE,
)
_REPORT = re.compile(rb"multipart/report|message/(?:global-)?delivery-status", re.IGNORECASE)
_RECEIPT_SUBJECT = re.compile(
    r"^\s*(read:|letto:|lettura:|gelesen:|lu :|lu:|przeczytano:|ricevuta di (lettura|ritorno))", re.I
)


@dataclass(frozen=True)
class Classification:
    kind: str  # human | auto_reply | bounce | list
    bounce: BounceInfo | None
    reasons: tuple[str, ...]


def classify(msg: ParsedMessage, raw: bytes, own_addresses: frozenset[str] = frozenset()) -> Classification:
    """The sender kind of a parsed message; `raw` is needed for DSN parts and flufl.bounce."""
    own = frozenset(addr.lower() for addr in own_addresses)
    if msg.from_address and msg.from_address in own:
        return Classification(SenderKind.AUTO_REPLY, None, ("from our own address",))
    # The second parse (compat32, as the DSN readers expect) serves a multipart/report at the top (a
    # DSN, another report), a delivery-status part in another multipart and a read receipt only; such a
    # Content-Type has those very bytes in the raw (no encoding or folding can hide them from compat32
    # and keep them).
    needed = _REPORT.search(raw) is not None or _RECEIPT_SUBJECT.search(msg.subject) is not None
    raw_msg = _compat_message(raw) if needed else None
    bounce = _bounce(msg, raw, raw_msg, own)
    if bounce is not None:
        return bounce
    auto = auto_reply_reasons(msg, raw_msg)
    if auto:
        return Classification(SenderKind.AUTO_REPLY, None, tuple(auto))
    listed = list_reasons(msg)
    if listed:
        return Classification(SenderKind.LIST, None, tuple(listed))
    return Classification(SenderKind.HUMAN, None, ())


def _compat_message(raw: bytes) -> Message | None:
    try:
        return email.message_from_bytes(raw, policy=policy.compat32)
    except Exception:
        return None


def _bounce(msg: ParsedMessage, raw: bytes, raw_msg: Message | None, own: frozenset[str]) -> Classification | None:
    reasons: list[str] = []
    dsn = Dsn([], [], [], [])
    try:
        if raw_msg is not None and is_delivery_report(msg, raw_msg):
            reasons.append("multipart/report delivery-status")
            dsn = read_dsn(raw_msg)
    except Exception:
        reasons = []
    if not reasons:
        ses = read_ses_bounce(msg.text)
        if ses is not None:
            reasons, dsn = ["Amazon SES bounce notification"], ses
    recipients, statuses, actions = dsn.recipients, dsn.statuses, dsn.actions
    if not reasons:
        reasons = bounce_signals(msg)
        if not reasons:
            return None
    # Never a failed recipient: ours, the bounce's sender; seldom one: whom it returns to (the sender).
    exclude, avoid = own | {msg.from_address}, frozenset(msg.to_addresses)
    if not recipients:
        failed = msg.header("X-Failed-Recipients") or ""
        recipients = re.findall(r"[^\s,<>;]+@[^\s,<>;]+", failed.lower())
    if not recipients:
        recipients = stated_recipients(msg.text, exclude, avoid)
        if recipients:
            reasons.append("recipients stated in the text")
    temporary: list[str] = []
    if not recipients:
        temporary, permanent = flufl_failures(raw)
        recipients = prefer_others([addr for addr in permanent + temporary if addr not in exclude], avoid)
        if recipients:
            reasons.append("recipients from flufl.bounce")
    if not recipients:
        recipients = body_recipients(msg.text, exclude, avoid)
        if recipients:
            reasons.append("recipients from the body")
    is_final, status = is_permanent(statuses, actions, msg.text)
    if temporary and not statuses and set(recipients) <= set(temporary):
        is_final = False
    info = BounceInfo(tuple(dict.fromkeys(recipients)), is_final, status, tuple(dsn.status_of))
    return Classification(SenderKind.BOUNCE, info, tuple(reasons))


def auto_reply_reasons(msg: ParsedMessage, raw_msg: Message | None = None) -> list[str]:
    """Why a message looks machine-written (RFC 3834 and the common non-standard markers)."""
    reasons = []
    auto_submitted = (msg.header("Auto-Submitted") or "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        reasons.append(f"Auto-Submitted: {auto_submitted}")
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Vacation", "X-Mail-Autoreply"):
        if msg.header(name) is not None:
            reasons.append(f"{name} header")
    if (msg.header("X-Autogenerated") or "").strip().lower() == "reply":
        reasons.append("X-Autogenerated: Reply")
    precedence = (msg.header("Precedence") or "").strip().lower()
    if precedence in ("auto_reply", "bulk", "junk"):
        reasons.append(f"Precedence: {precedence}")
    if raw_msg is not None and raw_msg.get_content_type() == "multipart/report":
        report_type = str(raw_msg.get_param("report-type", "") or "").lower()
        reasons.append(f"multipart/report {report_type or 'without report-type'}")
    if _AUTO_SUBJECT.search(msg.subject) or _AUTO_SUBJECT_ANYWHERE.search(msg.subject):
        reasons.append(f"subject {msg.subject[:60]!r}")
    elif _RECEIPT_SUBJECT.search(msg.subject) and _is_receipt(raw_msg):
        reasons.append("read receipt")
    return reasons


def _is_receipt(raw_msg: Message | None) -> bool:
    if raw_msg is None:
        return False
    return any(part.get_content_type() == "message/disposition-notification" for part in raw_msg.walk())


def list_reasons(msg: ParsedMessage) -> list[str]:
    reasons = []
    if msg.header("List-Id"):
        reasons.append("List-Id header")
    precedence = (msg.header("Precedence") or "").strip().lower()
    if msg.header("List-Unsubscribe") and precedence == "list":
        reasons.append("List-Unsubscribe with Precedence: list")
    elif precedence == "list":
        reasons.append("Precedence: list")
    return reasons
