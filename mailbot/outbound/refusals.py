"""Which permanent refusals condemn the recipient's address, and which only the message; pure.

A 5xx or a permanent bounce is often about the message (its content, its size, a policy, our sending
IP or our own address), not about the recipient's mailbox. Marking an address undeliverable stops all
mail to the customer until staff clear it, so only a refusal that names the address does:

- a 5xx at RCPT refuses the address, unless its enhanced status code (RFC 3463) names something else:
  5.7.x a security or policy refusal (a block list, SPF or DMARC, relaying), 5.6.x the content, 5.3.x
  the receiving system or the message's size, 5.2.2 and 5.2.3 a full mailbox or a message too big,
  5.1.7 and 5.1.8 our own (the sender's) address;
- a 5xx at DATA refuses the message, never the address;
- a bounce condemns the address only with a bad-address status for that recipient (5.1.x, but not
  5.1.5 "valid", 5.1.7/5.1.8 the sender's address, 5.1.9 "relayed to a non-compliant mailer"). A
  permanent bounce with no status code (or one of another class) fails the message for staff to see:
  in the shared corpus such bounces are refusals of the content or full mailboxes at least as often
  as dead mailboxes (figures in docs/inbound.md, "Bounces").
"""

from __future__ import annotations

import re

_ENHANCED = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})")
_AT_START = re.compile(r"\s*([245]\.\d{1,3}\.\d{1,3})(?![\d.])")
_NOT_THE_ADDRESS_AT_RCPT = ("5.7.", "5.6.", "5.3.")
_NOT_THE_ADDRESS_EXACT = frozenset({"5.2.2", "5.2.3", "5.1.7", "5.1.8"})
_NOT_A_BAD_ADDRESS = frozenset({"5.1.5", "5.1.7", "5.1.8", "5.1.9"})


def enhanced_status(reply_text: str) -> str | None:
    """The enhanced status code an SMTP reply's text starts with (``5.1.1 no such user``), if any."""
    found = _AT_START.match(reply_text)
    return found.group(1) if found else None


def is_bad_address_status(status: str | None) -> bool:
    """A bounce's status that says the recipient's address itself is bad (5.1.x, see the module)."""
    found = _ENHANCED.fullmatch((status or "").strip())
    if found is None or found.group(1) != "5" or found.group(2) != "1":
        return False
    return f"5.1.{int(found.group(3))}" not in _NOT_A_BAD_ADDRESS


def is_address_refused_at_rcpt(code: int, reply_text: str) -> bool:
    """A permanent reply to RCPT that refuses the address, not our message or us (see the module)."""
    if not 500 <= code < 600:
        return False
    status = enhanced_status(reply_text)
    if status is None:
        return True
    return not (status.startswith(_NOT_THE_ADDRESS_AT_RCPT) or status in _NOT_THE_ADDRESS_EXACT)
