"""The daily cap on automatic replies (``inbound.max_auto_replies_per_day`` per address since local
midnight), taken in the very transaction that enqueues the reply.

Counting the replies and then enqueueing one were two steps: two jobs (or processes) counting at the
same time both found room. ``take_reply_allowance`` is one statement on ``reply_allowance`` (a row per
lower-cased address and local day)::

    INSERT INTO reply_allowance (address, day, used)
    SELECT :address, :day, 1 + <today's replies to the address in the outbox>
     WHERE <that count> < :limit
    ON CONFLICT (address, day) DO UPDATE SET used = used + 1 WHERE used < :limit

One row written: the reply may go; none: the cap is reached. Two transactions taking the same row
wait for each other (PostgreSQL: the upsert's row lock, held to the end of the transaction; SQLite:
one writer at a time, ``BEGIN IMMEDIATE``), so they never both see the same room. Nothing is committed
on its own: a transaction that rolls back gives its allowance back, and ``give_back_reply_allowance``
returns one taken for a reply that turned out to be in the outbox already. An address's first row of
a day starts from the replies the outbox holds for it that day, so those enqueued before the table
existed (the day of the upgrade) count too. Rows of past days are pruned by ``prune_reply_allowances``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, Integer, String, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mailbot.config import Config
from mailbot.db.models import OutboundMessage, ReplyAllowance
from mailbot.outbound.context import REPLY_TEMPLATES
from mailbot.outbound.order_mail import local_day

_TABLE = ReplyAllowance.__table__
_ADDRESS = bindparam("to_address", type_=String(320))  # not a column's name: UPDATE would claim it
_DAY = bindparam("on_day", type_=Date)
_LIMIT = bindparam("limit", type_=Integer)
# Today's automatic replies to the address in the outbox, through the index on (template, created_at).
_IN_OUTBOX = (
    select(func.count(OutboundMessage.id))
    .where(
        OutboundMessage.template.in_(REPLY_TEMPLATES),
        func.lower(OutboundMessage.to_address) == _ADDRESS,
        OutboundMessage.created_at >= bindparam("since"),
    )
    .scalar_subquery()
)
_GIVE_BACK = (
    update(ReplyAllowance)
    .where(ReplyAllowance.address == _ADDRESS, ReplyAllowance.day == _DAY, ReplyAllowance.used > 0)
    .values(used=ReplyAllowance.used - 1)
)
_INSERTS: dict[str, Callable[[Any], Any]] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_TAKE: dict[str, Any] = {}  # dialect name -> the statement, built once (building it costs more than running it)


def local_midnight(now: datetime, config: Config) -> datetime:
    return datetime.combine(local_day(now, config), time(0), tzinfo=config.tz)


def address_key(address: str) -> str:
    return address.strip().lower()[:320]


def take_reply_allowance(session: Session, config: Config, address: str, now: datetime) -> str | None:
    """Count one automatic reply to ``address`` today, in the caller's transaction; or, when the cap
    is reached, count nothing and say why."""
    limit = config.inbound.max_auto_replies_per_day
    params = {
        "to_address": address_key(address),
        "on_day": local_day(now, config),
        "since": local_midnight(now, config),
        "limit": limit,
    }
    if session.connection().execute(_take_statement(session), params).rowcount == 1:
        return None
    return f"{address}: already {limit} automatic replies today"


def give_back_reply_allowance(session: Session, config: Config, address: str, now: datetime) -> None:
    """Undo ``take_reply_allowance`` in the same transaction (the reply was not enqueued after all)."""
    params = {"to_address": address_key(address), "on_day": local_day(now, config)}
    session.connection().execute(_GIVE_BACK, params)


def prune_reply_allowances(session: Session, config: Config, now: datetime) -> int:
    """Delete the rows of days before yesterday (local; yesterday's stays for a clock a little behind):
    no cap reads them any more. Returns how many went."""
    before = local_day(now, config) - timedelta(days=1)
    return session.connection().execute(delete(ReplyAllowance).where(ReplyAllowance.day < before)).rowcount


def _take_statement(session: Session) -> Any:
    name = session.get_bind().dialect.name
    statement = _TAKE.get(name)
    if statement is None:
        insert = _INSERTS.get(name)
        if insert is None:  # pragma: no cover - mailbot runs on SQLite and PostgreSQL only
            raise RuntimeError(f"the daily reply cap needs SQLite or PostgreSQL, not {name}")
        counted = select(_IN_OUTBOX.label("n")).subquery()  # the outbox counted once
        seed = select(_ADDRESS, _DAY, counted.c.n + 1).where(counted.c.n < _LIMIT)
        statement = _TAKE[name] = (
            insert(_TABLE)
            .from_select(["address", "day", "used"], seed)
            .on_conflict_do_update(
                index_elements=[_TABLE.c.address, _TABLE.c.day],
                set_={"used": _TABLE.c.used + 1},
                where=_TABLE.c.used < _LIMIT,
            )
            .execution_options(preserve_rowcount=True)  # an INSERT's rowcount is kept only when asked for
        )
    return statement
