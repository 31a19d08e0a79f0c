"""``audit.record`` and ``audit.held``: the events of a block go in together, in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from mailbot import audit
from mailbot.app import App
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent

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
        with audit.held(session):
            for n in range(3):
                audit.record(session, actor="t", action="held", entity="x", entity_id=n, now=NOW, details={"n": n})
            with audit.held(session):  # nested: the outer block inserts
                audit.record(session, actor="t", action="nested", entity="x", entity_id=9, now=NOW)
            session.flush()
            assert len(inserts) == 1  # only "before": the held ones wait for the block's end
        assert len(inserts) == 2
    assert events(app) == [("before", "0", {}), *[("held", str(n), {"n": n}) for n in range(3)], ("nested", "9", {})]


def test_events_held_in_a_block_that_raises_are_not_inserted(app: App) -> None:
    with pytest.raises(RuntimeError), transaction(app.sessions) as session, audit.held(session):
        audit.record(session, actor="t", action="held", entity="x", entity_id=1, now=NOW)
        raise RuntimeError("acting broke")
    with transaction(app.sessions) as session:
        audit.record(session, actor="t", action="after", entity="x", entity_id=2, now=NOW)  # not held any more
    assert events(app) == [("after", "2", {})]
