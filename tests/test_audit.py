"""Audit events and tickets of a batch: written by the one writer with one statement each, tickets first,
in the caller's transaction; nothing of a batch that raises."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from sqlalchemy import event, select

from mailbot import audit
from mailbot.act.pipeline import process_many
from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent, Ticket
from mailbot.domain import AuditEntry
from mailbot.intake.store import Origin, store_many
from mailbot.paths import rules_dir
from mailbot.understand.rules import RuleSet, load_rules

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(rules_dir())


def events(app: App) -> list[tuple[str, str, dict[str, object]]]:
    with app.sessions() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(e.action, e.entity_id, e.details) for e in rows]


def question(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"persona{n}@example.org"
    msg["To"] = "rinnovi@example.it"
    msg["Subject"] = f"Domanda {n}"
    msg["Message-ID"] = f"<q{n}@example.org>"
    msg.set_content("Buongiorno, vorrei una copia della fattura. Grazie")
    return msg.as_bytes()


def stored(app: App, count: int) -> list[int]:
    with transaction(app.sessions) as session:
        results = store_many(
            session, [(n, question(n)) for n in range(count)], Origin("imap"), now=NOW, config=app.config
        )
    return [r.inbound_id for r in results]


def test_audit_record_adds_an_event_to_the_callers_transaction(app: App) -> None:
    with pytest.raises(RuntimeError), transaction(app.sessions) as session:
        audit.record(session, AuditEntry("lost", "x", 1), actor="t", now=NOW)
        raise RuntimeError("acting broke")
    with transaction(app.sessions) as session:
        audit.record(session, AuditEntry("kept", "x", 2, {"n": 2}), actor="t", now=NOW)
    assert events(app) == [("kept", "2", {"n": 2})]


def test_a_batch_numbers_its_tickets_with_one_insert_before_their_audit_events(app: App, rules: RuleSet) -> None:
    ids = stored(app, 4)
    inserts: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if sql.startswith("INSERT INTO"):
            inserts.append(sql.split()[2])

    event.listen(app.engine, "before_cursor_execute", seen)
    try:
        outcomes = process_many(app, ids, NOW, rules)
    finally:
        event.remove(app.engine, "before_cursor_execute", seen)
    assert len(outcomes) == 4
    assert inserts.count("ticket") == 1 and inserts.count("audit_event") == 1, inserts
    assert inserts.index("ticket") < inserts.index("audit_event")
    with app.sessions() as session:
        tickets = list(session.scalars(select(Ticket).order_by(Ticket.id)))
    assert [t.inbound_id for t in tickets] == ids  # numbered in the messages' order
    assert all(t.customer_id is None for t in tickets)  # None is a NULL in the same statement
    opened = [entity for action, entity, _ in events(app) if action == "ticket.opened"]
    assert opened == [str(t.id) for t in tickets]


def test_a_batch_that_fails_writes_no_ticket_and_no_event(
    app: App, rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch whose writing breaks leaves nothing; each message is then done on its own, once."""
    from mailbot.act import write

    ids = stored(app, 3)
    real = write.Writer.finish
    calls: list[int] = []

    def finish(self: write.Writer) -> None:
        calls.append(len(calls))
        real(self)
        if len(calls) == 1:
            raise RuntimeError("the batch's writing broke")

    monkeypatch.setattr(write.Writer, "finish", finish)
    process_many(app, ids, NOW, rules)
    with app.sessions() as session:
        tickets = list(session.scalars(select(Ticket)))
    assert sorted(t.inbound_id or 0 for t in tickets) == ids  # one each: the failed batch left nothing
    opened = [entity for action, entity, _ in events(app) if action == "ticket.opened"]
    assert sorted(opened) == sorted(str(t.id) for t in tickets)
