"""Building the email for an outbox row; pure (values in, a message out, nothing sent).

The row was rendered when it was enqueued, so this only wraps its subject and bodies in headers.
The Message-ID is the one fixed at enqueue time: a retried message keeps it, so a reply to any
copy is matched to the same row. Both parts are UTF-8 quoted-printable, safe on any relay.
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime

from mailbot.config import MailConfig
from mailbot.db.models import OutboundMessage
from mailbot.outbound.outbox import reply_address


def build_message(row: OutboundMessage, mail: MailConfig, now: datetime) -> EmailMessage:
    """The ``multipart/alternative`` email of ``row``, dated ``now`` (timezone-aware)."""
    if now.tzinfo is None:
        raise ValueError("build_message needs a timezone-aware now")
    message = EmailMessage(policy=default_policy)
    message["From"] = _address(mail.from_name, mail.from_address)
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = row.message_id
    message["Reply-To"] = reply_address(mail, row.reply_token)
    # RFC 3834: mark the mail as automatic, so well-behaved responders do not answer it;
    # the second header asks Exchange/Outlook for the same. A reply to a customer's message
    # (details set by mailbot/inbound/replies.py) is "auto-replied" and threads under it.
    details = row.details or {}
    if details.get("auto_submitted") == "auto-replied":
        message["Auto-Submitted"] = "auto-replied"
        message["X-Auto-Response-Suppress"] = "All"
        if details.get("in_reply_to"):
            message["In-Reply-To"] = str(details["in_reply_to"])
            message["References"] = str(details.get("references") or details["in_reply_to"])
    else:
        message["Auto-Submitted"] = "auto-generated"
        message["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    message["X-Mailbot-Template"] = row.template
    message.set_content(row.body_text, charset="utf-8", cte="quoted-printable")
    message.add_alternative(row.body_html, subtype="html", charset="utf-8", cte="quoted-printable")
    if row.language:  # after the parts: set_content drops Content-* headers set before it
        message["Content-Language"] = row.language
    return message


def _address(display_name: str, addr_spec: str) -> Address:
    """An address whose display name is encoded (RFC 2047) when it is not plain ASCII."""
    return Address(display_name=display_name, addr_spec=addr_spec)
