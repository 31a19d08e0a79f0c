"""``audit.record`` inside ``db.held.held``: the events of a block go in together, in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from mailbot import audit
from mailbot.act.batch import RowIds
from mailbot.act.tickets_open import open_ticket
from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.db.held import held
from mailbot.db.models import AuditEvent, Ticket
from mailbot.domain import TicketKind
from tests.support.factories import make_customer

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def events(app: App) -> list[tuple[str, str, dict[str, object]]]:
    with app.sessions() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        return [(e.action, e.entity_id, e.details) for e in rows]


def test_events_held_in_a_block_go_in_with_one_insert_at_its_end(app: App) -> None:
    inserts: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if "INSERT INTO audit_event" in sql:
            inserts.append(sql)

    event.listen(app.engine, "before_cursor_execute", seen)
    with transaction(app.sessions) as session:
        audit.record(session, actor="t", action="before", entity="x", entity_id=0, now=NOW)
        session.flush()
        with held(session, AuditEvent):
            for n in range(3):
                audit.record(session, actor="t", action="held", entity="x", entity_id=n, now=NOW, details={"n": n})
            with held(session, AuditEvent):  # nested: the outer block inserts
                audit.record(session, actor="t", action="nested", entity="x", entity_id=9, now=NOW)
            session.flush()
            assert len(inserts) == 1  # only "before": the held ones wait for the block's end
        assert len(inserts) == 2
    assert events(app) == [("before", "0", {}), *[("held", str(n), {"n": n}) for n in range(3)], ("nested", "9", {})]


def test_events_held_in_a_block_that_raises_are_not_inserted(app: App) -> None:
    with pytest.raises(RuntimeError), transaction(app.sessions) as session, held(session, AuditEvent):
        audit.record(session, actor="t", action="held", entity="x", entity_id=1, now=NOW)
        raise RuntimeError("acting broke")
    with transaction(app.sessions) as session:
        audit.record(session, actor="t", action="after", entity="x", entity_id=2, now=NOW)  # not held any more
    assert events(app) == [("after", "2", {})]


def test_tickets_numbered_up_front_are_held_and_inserted_before_their_audit_events(app: App) -> None:
    inserts: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if sql.startswith("INSERT INTO"):
            inserts.append(sql.split()[2])

    with transaction(app.sessions) as session:
        customer_id = make_customer(session).id
    event.listen(app.engine, "before_cursor_execute", seen)
    with transaction(app.sessions) as session:
        with held(session, Ticket, AuditEvent):
            numbers = RowIds(session, Ticket)
            # with and without a customer and an order: a None is a NULL in the same statement
            opened = [
                open_ticket(
                    session,
                    kind=TicketKind.SUPPORT,
                    intent="other",
                    summary=f"t{n}",
                    details={},
                    now=NOW,
                    numbers=numbers,
                    customer_id=customer_id if n == 1 else None,
                )
                for n in range(4)
            ]
            session.flush()
            assert inserts == []  # held, not flushed
        assert inserts == ["ticket", "audit_event"]  # one statement each, tickets first
    with app.sessions() as session:
        tickets = list(session.scalars(select(Ticket).order_by(Ticket.id)))
        assert [t.id for t in tickets] == opened
        assert [t.customer_id for t in tickets] == [None, customer_id, None, None]
    assert [entity for action, entity, _ in events(app)] == [str(n) for n in opened]
