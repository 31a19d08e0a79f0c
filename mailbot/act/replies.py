"""Automatic replies to customers' messages: whether to answer, to whom, in which language, and enqueueing.

Never answered: mail nobody wrote (auto-replies, bounces, lists), our own addresses (``mail.from_address``,
any ``mail.reply_to`` address whatever its token, ``inbound.own_addresses``), and a sender who already got
``inbound.max_auto_replies_per_day`` automatic replies since local midnight (``reply_cap``: taken in the
transaction of the enqueue). A reply goes through the outbox under the key ``reply:<inbound id>:<template>``
(sent once however often the message is processed) with ``details`` that make compose thread it under the
customer's message and mark it ``Auto-Submitted: auto-replied``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mailbot.config import LANGUAGES, Config
from mailbot.domain import SenderKind
from mailbot.outbound.context import CompanyInfo, CustomerInfo
from mailbot.text import header_text, is_header_safe, visible
from mailbot.understand.addresses import is_own_address, own_addresses
from mailbot.understand.mime import ParsedMessage
from mailbot.understand.reading import Understanding

if TYPE_CHECKING:
    from mailbot.db.models import Customer

_REPLY_PREFIX = re.compile(r"^\s*((re|r|aw|sv|rif|fwd?|i|inoltro)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_WORD = re.compile(r"[a-zà-ù']+", re.IGNORECASE)
_ENGLISH = frozenset(
    [
        "the",
        "and",
        "you",
        "your",
        "please",
        "would",
        "like",
        "we",
        "is",
        "are",
        "to",
        "of",
        "for",
        "thank",
        "thanks",
        "regards",
        "dear",
        "hello",
    ]
)
_ITALIAN = frozenset(
    [
        "il",
        "la",
        "le",
        "di",
        "che",
        "per",
        "non",
        "con",
        "una",
        "un",
        "sono",
        "vorrei",
        "grazie",
        "saluti",
        "cordiali",
        "buongiorno",
        "gentile",
        "rinnovo",
        "del",
        "della",
    ]
)


def reply_to_address(understanding: Understanding) -> str:
    """Where a reply goes: the message's Reply-To, else its From."""
    return reply_address(understanding.reading.message)


def reply_address(message: ParsedMessage) -> str:
    return (message.reply_to[0] if message.reply_to else message.from_address).strip()


def guess_language(text: str) -> str:
    """``en`` when English words clearly outnumber Italian ones; Italian otherwise (the default)."""
    words = [w.lower() for w in _WORD.findall(text[:4000])]
    english = sum(w in _ENGLISH for w in words)
    italian = sum(w in _ITALIAN for w in words)
    return "en" if english > italian else "it"


def reply_language(customer: Customer | None, understanding: Understanding) -> str:
    if customer is not None and customer.language in LANGUAGES:
        return customer.language
    return guess_language(f"{understanding.reading.message.subject}\n{understanding.reading.new_text}")


def reply_subject(original: str, lang: str) -> str:
    """``Re:`` and the customer's Subject made one clean line (no line break or control character of
    theirs reaches our header), without their own Re:/R:/Fwd: prefixes."""
    stripped = _REPLY_PREFIX.sub("", header_text(original))
    return f"Re: {stripped}" if stripped else {"it": "Re: la Sua richiesta", "en": "Re: your request"}[lang]


def why_not_reply(config: Config, understanding: Understanding) -> str | None:
    """The reason never to answer this message, or None when a reply may go out (if the daily cap,
    taken with the enqueue, leaves room: ``reply_cap.take_reply_allowance``)."""
    if understanding.reading.kind != SenderKind.HUMAN:
        return f"sender kind {understanding.reading.kind}: never answered"
    address = reply_to_address(understanding)
    if "@" not in address:
        return "no address to reply to"
    if not is_header_safe(address) or any(char.isspace() for char in address):
        return f"the reply address '{visible(address)}' holds a control character or a space: never answered"
    own = own_addresses(config)
    if is_own_address(address, own) or is_own_address(understanding.reading.message.from_address, own):
        return "our own address: never answered"
    return None


def customer_info(customer: Customer | None, understanding: Understanding, lang: str) -> CustomerInfo:
    if customer is not None:
        return CustomerInfo(customer.name, customer.kind.value, customer.email, lang, customer.split_payment)
    message = understanding.reading.message
    return CustomerInfo(
        message.from_name or message.from_address, "private", reply_to_address(understanding), lang, False
    )


def company_info(config: Config) -> CompanyInfo:
    return CompanyInfo(config.mail.company_name, config.mail.support_address, config.mail.support_phone)


def _angle(message_id: str) -> str:
    return message_id if message_id.startswith("<") else f"<{message_id}>"


def thread_details(understanding: Understanding) -> dict[str, Any]:
    """What compose needs to thread the reply: In-Reply-To, References, Auto-Submitted."""
    details: dict[str, Any] = {"auto_submitted": "auto-replied"}
    message = understanding.reading.message
    if message.message_id:
        mid = _angle(message.message_id)
        refs = [_angle(r) for r in message.references if r] + [mid]
        details["in_reply_to"] = mid
        details["references"] = " ".join(dict.fromkeys(refs[-10:]))
    return details
