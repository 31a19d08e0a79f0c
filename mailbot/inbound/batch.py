"""What a batch of messages acted on in one transaction shares, so that nothing is flushed per message.

``pipeline.process_many`` acts on a fetched batch with the session's autoflush off and writes the
batch's rows at the end: tickets and audit events with one INSERT each (``db.held``), the rest
(attachments, replies, the messages' own updates) in one flush, where SQLAlchemy sends each table's
rows together. Two things a message needed a flush for are kept here instead:

- ``RowIds``: ids taken before the INSERT, for the tickets and the automatic replies, so that a reply
  quotes its ticket's number and the audit names the reply without flushing either: on PostgreSQL
  the next values of the table's sequence, as many per query as the batch expects to need (a ticket
  for each person's message still to act on); those it does not use are skipped, as a rolled-back
  transaction's are: numbers are unique and increasing, not gapless; on
  SQLite the number after both the table's highest id and the last one given out, which is safe
  because the transaction began with ``BEGIN IMMEDIATE`` and holds the database's only write lock
  until it ends. The highest id is read at the first ``take`` and again after any flush of the
  session: a step of the batch that flushes (the payment instructions of an order a renewal
  created) inserts rows with ids of the database's choosing. ``tickets_open.open_ticket`` and
  ``outbox.stage`` take their ids here when given them; ``process_many`` flushes the tickets of the
  messages it quarantined before acting starts, and redoes the whole batch one message at a time
  when acting fails (a clash of ids included).
- ``ReplyCounts``: automatic replies per address since local midnight, read for the whole batch in
  one query and counted on as the batch enqueues; the count query alone would not see replies the
  batch has not flushed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import bindparam, event, func, select, text
from sqlalchemy.orm import Session

from mailbot.db.models import OutboundMessage, Ticket
from mailbot.outbound.context import REPLY_TEMPLATES

_NEXT_IDS_PG = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)")
_REPLIES_BY_ADDRESS = (
    select(func.lower(OutboundMessage.to_address), func.count(OutboundMessage.id))
    .where(
        OutboundMessage.template.in_(REPLY_TEMPLATES),
        func.lower(OutboundMessage.to_address).in_(bindparam("addresses", expanding=True)),
        OutboundMessage.created_at >= bindparam("since"),
    )
    .group_by(func.lower(OutboundMessage.to_address))
)


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


class ReplyCounts:
    """Automatic replies per (lower-cased) address since ``since``: the database's count, read once per
    address, plus the replies this batch enqueued."""

    def __init__(self, session: Session, since: datetime) -> None:
        self.session = session
        self.since = since
        self._counts: dict[str, int] = {}

    def load(self, addresses: Iterable[str]) -> None:
        """Read the counts of the addresses not read yet, in one query."""
        wanted = sorted({a.strip().lower() for a in addresses if a} - self._counts.keys())
        if not wanted:
            return
        params = {"addresses": wanted, "since": self.since}
        found = {str(address): int(n) for address, n in self.session.execute(_REPLIES_BY_ADDRESS, params)}
        for address in wanted:
            self._counts[address] = int(found.get(address, 0))

    def today(self, address: str) -> int:
        key = address.strip().lower()
        if key not in self._counts:
            self.load([key])
        return self._counts[key]

    def add(self, address: str) -> None:
        key = address.strip().lower()
        self._counts[key] = self.today(key) + 1


class Batch:
    """One transaction's shared state for acting on many messages without a flush per message."""

    def __init__(self, session: Session, replies_since: datetime) -> None:
        self.people_left = 0  # messages from people still to act on, each likely to open a ticket
        self.tickets = RowIds(session, Ticket, demand=lambda: self.people_left)
        self.outbound = RowIds(session, OutboundMessage)
        self.replies = ReplyCounts(session, replies_since)
        self.rematch = False  # a change applied may change what later messages match (a customer's addresses)
