"""Amazon SES's bounce notifications by email: a body that is one JSON document.

SES tells of a bounce through an SNS topic; subscribed by email, the notification comes as the whole
body (``{"notificationType": "Bounce", "bounce": {"bouncedRecipients": [...]}, ...}``), or, sent raw,
as a string in the SNS envelope's ``Message``. Only a body that opens with the document is read (a
person quoting one writes something first), and only its first READ_CHARS.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mailbot.understand.bounces import READ_CHARS, Dsn

# A line longer than Sendmail lets through is broken with "!", a newline and a space.
_BROKEN_LINE = "!\n "
_OPENS = re.compile(r"\s*\{")


def read_ses_bounce(text: str) -> Dsn | None:
    """The recipients, statuses and actions of an SES bounce notification; None for any other body."""
    opening = _OPENS.match(text)
    if opening is None:
        return None
    head = text[opening.end() - 1 : READ_CHARS]
    if "notificationType" not in head:
        return None
    notice = _document(head.replace(_BROKEN_LINE, ""))
    if isinstance(notice, dict) and isinstance(notice.get("Message"), str):
        notice = _document(notice["Message"])  # the SNS envelope of a raw notification
    if not isinstance(notice, dict) or notice.get("notificationType") != "Bounce":
        return None
    bounce = notice.get("bounce")
    if not isinstance(bounce, dict):
        return None
    final = bounce.get("bounceType") != "Transient"
    dsn = Dsn([], [], [], [])
    for item in bounce.get("bouncedRecipients") or []:
        address = str(item.get("emailAddress") or "").strip().lower() if isinstance(item, dict) else ""
        if "@" not in address:
            continue
        status = str(item.get("status") or "")
        dsn.recipients.append(address)
        dsn.actions.append(str(item.get("action") or ("failed" if final else "delayed")).lower())
        if re.fullmatch(r"[245]\.\d{1,3}\.\d{1,3}", status):
            dsn.statuses.append(status)
            dsn.status_of.append((address, status))
    return dsn if dsn.recipients else None


def _document(text: str) -> Any:
    """The JSON value the text opens with (what follows it, SNS's footer, is left), or None."""
    try:
        return json.JSONDecoder().raw_decode(text)[0]
    except ValueError:
        return None
