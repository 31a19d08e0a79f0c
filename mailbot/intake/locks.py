"""One consumer per mailbox: a lease row in ``consumer_lock`` that a process takes, renews and releases.

Taking the lease is one guarded UPDATE (``WHERE name = ? AND (owner = me OR expires_at < now)``) or,
when no row exists yet, one INSERT whose primary key lets exactly one of two racing processes win.
Both are plain SQL that behave the same on SQLite (the write lock serialises them) and PostgreSQL
(the second UPDATE waits for the row lock, then re-reads ``expires_at`` and matches nothing). A
process that does not get the lease waits and tries again; one that fails to renew it stops consuming,
because by then another process may hold it. ``now`` is passed in; nothing here reads the clock.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mailbot.db.models import ConsumerLock

log = logging.getLogger(__name__)

OWNER_MAX = 120


def make_owner() -> str:
    """An identity for this process: host, pid and a random part (two runs never share one)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[-OWNER_MAX:]


def try_acquire(session: Session, name: str, owner: str, now: datetime, seconds: float) -> bool:
    """Take (or extend) the lease ``name`` for ``owner`` until ``now + seconds``; False if someone else has it.

    The caller commits.
    """
    expires = now + timedelta(seconds=seconds)
    taken = _execute(
        session,
        update(ConsumerLock)
        .where(ConsumerLock.name == name, (ConsumerLock.owner == owner) | (ConsumerLock.expires_at < now))
        .values(owner=owner, expires_at=expires),
    )
    if taken == 1:
        return True
    try:
        with session.begin_nested():
            session.execute(insert(ConsumerLock).values(name=name, owner=owner, expires_at=expires))
    except IntegrityError:
        return False  # the row exists and its lease is someone else's and still running
    return True


def renew(session: Session, name: str, owner: str, now: datetime, seconds: float) -> bool:
    """Push our lease forward; False when it is no longer ours (it expired and was taken)."""
    return (
        _execute(
            session,
            update(ConsumerLock)
            .where(ConsumerLock.name == name, ConsumerLock.owner == owner)
            .values(expires_at=now + timedelta(seconds=seconds)),
        )
        == 1
    )


def release(session: Session, name: str, owner: str) -> None:
    """Give the lease back so another process can start at once (only if it is still ours)."""
    session.execute(delete(ConsumerLock).where(ConsumerLock.name == name, ConsumerLock.owner == owner))


def _execute(session: Session, statement: object) -> int:
    result = session.execute(statement)  # type: ignore[call-overload]
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


class Lease:
    """The lease ``name`` as seen by one process: acquire, renew when half of it has run, release."""

    def __init__(self, sessions: sessionmaker[Session], name: str, seconds: float, owner: str | None = None) -> None:
        self.sessions = sessions
        self.name = name
        self.seconds = seconds
        self.owner = owner or make_owner()
        self.expires_at: datetime | None = None

    @property
    def held(self) -> bool:
        return self.expires_at is not None

    def acquire(self, now: datetime) -> bool:
        with self.sessions.begin() as session:
            ok = try_acquire(session, self.name, self.owner, now, self.seconds)
        self.expires_at = now + timedelta(seconds=self.seconds) if ok else None
        if ok:
            log.info("lease %s taken by %s", self.name, self.owner)
        return ok

    def keep(self, now: datetime) -> bool:
        """Renew when at least half the lease has run; False (and no longer held) if it was lost."""
        if self.expires_at is None:
            return False
        if now < self.expires_at - timedelta(seconds=self.seconds / 2):
            return True
        with self.sessions.begin() as session:
            ok = renew(session, self.name, self.owner, now, self.seconds)
        if ok:
            self.expires_at = now + timedelta(seconds=self.seconds)
        else:
            log.warning("lease %s lost by %s", self.name, self.owner)
            self.expires_at = None
        return ok

    def release(self) -> None:
        if self.expires_at is None:
            return
        self.expires_at = None
        with self.sessions.begin() as session:
            release(session, self.name, self.owner)
        log.info("lease %s released by %s", self.name, self.owner)
