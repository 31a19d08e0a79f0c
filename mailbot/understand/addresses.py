"""Our own addresses, as the configuration names them, and addresses compared without their ``+tag``.

One set serves every place that must recognise us: classification (mail from ourselves), the quoted or
forwarded copy of our own email (never mined for fields), the dry run (``mailbot parse``) and the
replies (never sent to ourselves, whatever reply token the address carries).
"""

from __future__ import annotations

from collections.abc import Iterable

from mailbot.config import Config


def bare_address(address: str) -> str:
    """Lower case, spaces and the ``+tag`` of the local part dropped."""
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def own_addresses(config: Config, extra: Iterable[str] = ()) -> frozenset[str]:
    """``mail.from_address``, ``mail.reply_to`` without its token, ``mail.support_address``,
    ``inbound.own_addresses`` and ``extra``, lower case."""
    mail = config.mail
    base = mail.reply_to.replace("+{token}", "").replace("-{token}", "").replace("{token}", "")
    found = {mail.from_address, base, mail.support_address, *config.inbound.own_addresses, *extra}
    return frozenset(a.strip().lower() for a in found if "@" in a)


def is_own_address(address: str, own: Iterable[str]) -> bool:
    """``address`` is one of ``own``, ignoring case and any ``+tag`` (a reply token)."""
    return bare_address(address) in {bare_address(a) for a in own}
