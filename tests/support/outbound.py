"""An outbound row and the mail settings to build it into a message; ``NOW`` is the clock of these tests."""

from __future__ import annotations

from datetime import UTC, datetime

from mailbot.config import MailConfig
from mailbot.db.models import OutboundMessage

NOW = datetime(2026, 3, 14, 9, 30, 5, tzinfo=UTC)
MAIL = MailConfig(
    from_address="rinnovi@example.it",
    from_name="Società Rinnovi – Servizio clienti",
    reply_to="rinnovi+{token}@example.it",
)


def make_row(**kw: object) -> OutboundMessage:
    values: dict[str, object] = {
        "id": 7,
        "to_address": "mario.rossi@example.org",
        "subject": "Il servizio «Impianto 1» scade il 31 dicembre",
        "body_text": "Gentile Mario,\nil servizio scade a breve: è tempo di rinnovare.\n",
        "body_html": "<p>Gentile Mario,</p><p>il servizio scade a breve: è tempo di <b>rinnovare</b>.</p>",
        "message_id": "<0123abcd@example.it>",
        "reply_token": "abcdefghij0123456789",
        "template": "expiry_reminder",
        "language": "it",
    }
    values.update(kw)
    return OutboundMessage(**values)
