"""How a customer asks to pay, in Italian and English (pure): "con bonifico", "by credit card", "via PayPal".

Only a way of paying said as the way to pay counts: after "con/tramite/via/mediante/a mezzo/by/with/via/using",
or "pagare/pagherò/pay" followed by it, or a table label ("Metodo di pagamento: bonifico"). A transfer
already made ("ho fatto il bonifico") is a payment notice, not a choice, and a method named with a
negation ("non con la carta", "not by card") is not asked. The first method asked wins; none gives None.
"""

from __future__ import annotations

import re

from mailbot.domain import PaymentMethod

# The words of each method, as people write them.
_WORDS: tuple[tuple[PaymentMethod, str], ...] = (
    (PaymentMethod.PAYPAL, r"pay\s?pal"),
    (PaymentMethod.POSTAL_SLIP, r"bollettino(?:\s+postale)?|postal\s+(?:slip|order)|post\s+office\s+slip"),
    (PaymentMethod.BANK_TRANSFER, r"bonifico(?:\s+bancario)?|(?:bank\s+|wire\s+)transfer|wire|bank\s+wire"),
    (
        PaymentMethod.CARD,
        r"(?:la\s+|una\s+|mia\s+|la\s+mia\s+)?carta(?:\s+di\s+credito|\s+di\s+debito)?|(?:credit\s+|debit\s+)?card",
    ),
)
_ANY = "|".join(f"(?P<m{n}>{words})" for n, (_method, words) in enumerate(_WORDS))
_ASKED = re.compile(
    r"(?<![\w])(?P<neg>non\s+|not\s+|no\s+)?"
    r"(?:con|tramite|via|mediante|a\s+mezzo(?:\s+di)?|per\s+mezzo\s+di|by|with|using|through"
    r"|(?:pagare|pagheremo|pagherò|paghero|pagamento|pay|paying|payment)\s+(?:con|tramite|via|by|with|using|through)?)"
    r"\s+(?:(?:il|la|un|una|a|the|my|our)\s+)?"
    rf"(?:{_ANY})(?![\w])",
    re.IGNORECASE,
)
_LABELLED = re.compile(
    r"(?:(?:metodo|modalit[àa]|forma)\s+di\s+pagamento|payment\s+method)\s*[:=\t|]?\s*"
    rf"(?:{_ANY})(?![\w])",
    re.IGNORECASE,
)


def find_payment_method(text: str) -> PaymentMethod | None:
    """The way to pay ``text`` asks for, or None."""
    found: list[tuple[int, PaymentMethod]] = []
    for pattern in (_ASKED, _LABELLED):
        for match in pattern.finditer(text):
            if match.groupdict().get("neg"):
                continue
            method = _method_of(match)
            if method is not None:
                found.append((match.start(), method))
    return min(found)[1] if found else None


def _method_of(match: re.Match[str]) -> PaymentMethod | None:
    for n, (method, _words) in enumerate(_WORDS):
        if match.group(f"m{n}"):
            return method
    return None
