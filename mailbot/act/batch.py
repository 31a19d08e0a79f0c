"""What a batch of messages acted on in one transaction shares, so that nothing is flushed per message.

``pipeline.process_many`` acts on a fetched batch with the session's autoflush off and writes the
batch's rows at the end: tickets and audit events with one INSERT each (``db.held``), the rest
(attachments, replies, the messages' own updates) in one flush, where SQLAlchemy sends each table's
rows together. Tickets and automatic replies need their ids before that INSERT, so that a reply
quotes its ticket's number and the audit names the reply without flushing either: ``RowIds`` gives
them. On PostgreSQL it takes the next values of the table's sequence, as many per query as the batch
expects to need (a ticket for each person's message still to act on); those it does not use are
skipped, as a rolled-back transaction's are: numbers are unique and increasing, not gapless. On SQLite
it gives the number after both the table's highest id and the last one given out, which is safe
because the transaction began with ``BEGIN IMMEDIATE`` and holds the database's only write lock until
it ends. The highest id is read at the first ``take`` and again after any flush of the session: a
step of the batch that flushes (the payment instructions of an order a renewal created) inserts rows
with ids of the database's choosing. ``tickets_open.open_ticket`` and ``outbox.stage`` take their ids
here when given them; ``process_many`` flushes the tickets of the messages it quarantined before
acting starts, and redoes the whole batch one message at a time when acting fails (a clash of ids
included). The daily reply cap needs nothing here: it is taken in the database as the batch goes
(``reply_cap``).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from mailbot.db.models import OutboundMessage, Ticket

_NEXT_IDS_PG = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)")


class RowIds:
    """Ids for rows of one table not inserted yet (see the module's docstring)."""

    def __init__(
        self, session: Session, table: type[Ticket] | type[OutboundMessage], demand: Callable[[], int] = lambda: 1
    ) -> None:
        """``demand``: how many ids the batch still expects to take (PostgreSQL takes that many at once)."""
        self.session = session
        self.demand = demand
        self.table = table.__tablename__
        self._highest = select(func.max(table.id))
        self._postgresql = session.get_bind().dialect.name == "postgresql"
        self._floor = 1  # after the last id given out
        self._next: int | None = None  # None: the table's highest id must be read (again)
        self._block: list[int] = []  # PostgreSQL: taken from the sequence, not given out yet
        if not self._postgresql:
            event.listen(session, "after_flush", self._flushed)

    def take(self) -> int:
        if self._postgresql:
            if not self._block:
                count = max(1, self.demand())
                found = self.session.scalars(_NEXT_IDS_PG, {"table": self.table, "count": count})
                self._block = sorted((int(n) for n in found), reverse=True)
            return self._block.pop()
        if self._next is None:
            self._next = max(self._floor, int(self.session.scalar(self._highest) or 0) + 1)
        number = self._next
        self._next = self._floor = number + 1
        return number

    def _flushed(self, *_: object) -> None:
        self._next = None  # the flush may have inserted rows of the table with ids of the database's choosing


class Batch:
    """One transaction's shared state for acting on many messages without a flush per message."""

    def __init__(self, session: Session) -> None:
        self.people_left = 0  # messages from people still to act on, each likely to open a ticket
        self.tickets = RowIds(session, Ticket, demand=lambda: self.people_left)
        self.outbound = RowIds(session, OutboundMessage)
        self.rematch = False  # a change applied may change what later messages match (a customer's addresses)
