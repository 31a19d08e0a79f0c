"""enqueue_many: the sweep's bulk path keeps enqueue's guarantees (unique keys and reminder claims)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from mailbot.app import App
from mailbot.db.models import OutboundMessage, ReminderClaim
from mailbot.domain import OutboundStatus
from mailbot.outbound.outbox import Claim, NewMessage, enqueue, enqueue_many
from mailbot.outbound.render import RenderedEmail
from tests.support.factories import make_customer, make_service

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
CYCLE = date(2026, 12, 31)


def message(key: str, customer_id: int) -> NewMessage:
    rendered = RenderedEmail(subject=f"Avviso {key}", text=f"testo {key}\n", html=f"<p>{key}</p>")
    return NewMessage(
        idempotency_key=key,
        template="expiry_reminder",
        language="it",
        to_address="cliente@example.org",
        rendered=rendered,
        reason="test",
        customer_id=customer_id,
        details={"key": key},
    )


def setup(app: App, services: int) -> tuple[int, list[int]]:
    with app.sessions.begin() as session:
        customer = make_customer(session)
        ids = [make_service(session, customer).id for _ in range(services)]
        return customer.id, ids


def stored(app: App) -> dict[str, OutboundMessage]:
    with app.sessions() as session:
        return {r.idempotency_key: r for r in session.scalars(select(OutboundMessage))}


def stored_claims(app: App) -> set[tuple[int, str, int]]:
    with app.sessions() as session:
        rows = session.execute(select(ReminderClaim.service_id, ReminderClaim.step, ReminderClaim.outbound_id))
        return {(s, step, o) for s, step, o in rows}


def test_inserts_each_with_its_claims_and_skips_known_keys(app: App) -> None:
    customer, services = setup(app, 3)
    with app.sessions.begin() as session:
        enqueue(session, message("old", customer), mail=app.config.mail, now=NOW)
    batch = [
        (message("a", customer), [Claim(services[0], CYCLE, "before_30")]),
        (message("old", customer), [Claim(services[1], CYCLE, "before_30")]),
        (message("b", customer), [Claim(services[1], CYCLE, "before_30"), Claim(services[2], CYCLE, "before_30")]),
        (message("a", customer), []),  # the same key twice in one call: the first one counts
    ]
    with app.sessions.begin() as session:
        inserted = enqueue_many(session, batch, mail=app.config.mail, now=NOW)
        assert [row_id is not None for row_id in inserted] == [True, False, True, False]
    rows = stored(app)
    assert sorted(rows) == ["a", "b", "old"]
    a, b = rows["a"], rows["b"]
    assert (a.status, a.attempts, a.next_attempt_at, a.created_at) == (OutboundStatus.PENDING, 0, NOW, NOW)
    assert (a.subject, a.body_text, a.body_html, a.details) == ("Avviso a", "testo a\n", "<p>a</p>", {"key": "a"})
    assert a.message_id != b.message_id and a.reply_token != b.reply_token
    assert a.message_id.endswith(f"@{app.config.mail.message_id_domain}>")
    assert stored_claims(app) == {
        (services[0], "before_30", a.id),
        (services[1], "before_30", b.id),
        (services[2], "before_30", b.id),
    }
    with app.sessions.begin() as session:  # again: everything is there already
        assert enqueue_many(session, batch, mail=app.config.mail, now=NOW) == [None] * 4
    assert len(stored(app)) == 3


def test_a_claim_taken_meanwhile_skips_only_its_email(app: App) -> None:
    """Another sweep claimed one step under another key after our plan: the chunk falls back to one
    message at a time, and only the email carrying that step is left out."""
    customer, services = setup(app, 3)
    with app.sessions.begin() as session:
        other = enqueue(
            session,
            message("other-sweep", customer),
            mail=app.config.mail,
            now=NOW,
            claims=[Claim(services[1], CYCLE, "before_30")],
        )
        assert other is not None
    batch = [(message(f"k{n}", customer), [Claim(services[n], CYCLE, "before_30")]) for n in range(3)]
    with app.sessions.begin() as session:
        inserted = enqueue_many(session, batch, mail=app.config.mail, now=NOW)
        assert [row_id is not None for row_id in inserted] == [True, False, True]
    rows = stored(app)
    assert sorted(rows) == ["k0", "k2", "other-sweep"]
    assert stored_claims(app) == {
        (services[0], "before_30", rows["k0"].id),
        (services[1], "before_30", other.id),
        (services[2], "before_30", rows["k2"].id),
    }


def test_many_chunks(app: App) -> None:
    customer, _ = setup(app, 0)
    batch: list[tuple[NewMessage, list[Claim]]] = [(message(f"m{n}", customer), []) for n in range(1203)]
    with app.sessions.begin() as session:
        assert all(enqueue_many(session, batch, mail=app.config.mail, now=NOW))
    assert len(stored(app)) == 1203
