"""The reply says a card number was removed only where the stored copy no longer holds it (issue 9)."""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.act.pipeline import process_inbound
from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.db.models import InboundMessage, OutboundMessage
from mailbot.domain import PaymentMethod
from mailbot.intake.store import Origin, store_raw
from mailbot.understand.rules import RuleSet
from tests.support.factories import make_customer, make_service

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
RAW = (Path(__file__).parent / "corpus" / "card_change_with_card_number_it.eml").read_bytes()
REMOVED = "lo abbiamo cancellato"
SEEN = "conteneva il numero di una carta"


def _customer(app: App) -> None:
    with transaction(app.sessions) as session:
        customer = make_customer(session, email="luca.verdi@client.example.org")
        make_service(
            session,
            customer,
            username="lverdi",
            autorenew=True,
            payment_method=PaymentMethod.CARD,
            card_expires=date(2027, 1, 1),
        )


def _reply_text(app: App) -> str:
    with app.sessions() as session:
        [reply] = session.scalars(select(OutboundMessage).where(OutboundMessage.template == "reply_card_change"))
        return reply.body_text + reply.body_html


def test_the_reply_says_removed_when_the_stored_copy_holds_no_card(app: App, rules: RuleSet) -> None:
    _customer(app)
    with transaction(app.sessions) as session:
        stored = store_raw(session, RAW, Origin("pipe"), now=NOW, config=app.config)
    process_inbound(app, stored.inbound_id, NOW, rules)
    text = _reply_text(app)
    assert SEEN in text and REMOVED in text


@pytest.mark.parametrize("flagged_at_store", [True, False])
def test_the_reply_never_says_removed_when_the_stored_copy_still_holds_it(
    app: App, rules: RuleSet, flagged_at_store: bool
) -> None:
    """A message stored before card numbers were masked everywhere: its copy still holds one."""
    _customer(app)
    unmasked = RAW.replace(b"4111 1111 1111 1111", b"4111.1111.1111.1111")
    with transaction(app.sessions) as session:
        stored = store_raw(session, unmasked, Origin("pipe"), now=NOW, config=app.config)
        row = session.get_one(InboundMessage, stored.inbound_id)
        row.raw_compressed = zlib.compress(unmasked)  # as the old scanner left it
        row.card_number_detected = flagged_at_store
    process_inbound(app, stored.inbound_id, NOW, rules)
    text = _reply_text(app)
    assert SEEN in text and REMOVED not in text
    with app.sessions() as session:
        row = session.get_one(InboundMessage, stored.inbound_id)
        assert row.card_number_detected and row.understanding["card_number_detected"]
        assert row.understanding["card_number_kept"]  # what ``tickets show`` tells staff
        assert "4111" not in str(row.understanding)
