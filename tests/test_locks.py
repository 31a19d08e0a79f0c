"""The consumer lease: one holder at a time, taken over only after it expires, released at shutdown."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from mailbot.db.engine import make_engine, session_factory
from mailbot.db.models import ConsumerLock
from mailbot.intake.locks import Lease, make_owner

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
NAME = "imap:mailbot@127.0.0.1:143/INBOX"


@pytest.fixture
def second_sessions(db_url: str, engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions on a second engine (its own connections), like another ``mailbot run`` process."""
    other = make_engine(db_url)
    yield session_factory(other)
    other.dispose()


def _rows(engine: Engine) -> list[tuple[str, str, datetime]]:
    with session_factory(engine)() as session:
        return [(r.name, r.owner, r.expires_at) for r in session.scalars(select(ConsumerLock))]


def test_second_holder_waits_until_the_first_lease_expires(
    engine: Engine, second_sessions: sessionmaker[Session]
) -> None:
    first = Lease(session_factory(engine), NAME, 60, owner="first")
    second = Lease(second_sessions, NAME, 60, owner="second")
    assert first.acquire(NOW)
    assert not second.acquire(NOW)
    assert not second.acquire(NOW + timedelta(seconds=59))
    assert _rows(engine) == [(NAME, "first", NOW + timedelta(seconds=60))]

    assert second.acquire(NOW + timedelta(seconds=61))  # the first one stalled past its lease
    assert _rows(engine) == [(NAME, "second", NOW + timedelta(seconds=121))]
    assert not first.keep(NOW + timedelta(seconds=62))  # and learns it lost it
    assert not first.held


def test_keep_renews_after_half_the_lease_and_release_lets_the_other_in(
    engine: Engine, second_sessions: sessionmaker[Session]
) -> None:
    first = Lease(session_factory(engine), NAME, 60, owner="first")
    second = Lease(second_sessions, NAME, 60, owner="second")
    assert first.acquire(NOW)
    assert first.keep(NOW + timedelta(seconds=10))
    assert _rows(engine)[0][2] == NOW + timedelta(seconds=60)  # too early to write
    assert first.keep(NOW + timedelta(seconds=40))
    assert _rows(engine)[0][2] == NOW + timedelta(seconds=100)
    assert not second.acquire(NOW + timedelta(seconds=90))  # renewed, so still the first's

    first.release()
    assert _rows(engine) == []
    assert second.acquire(NOW + timedelta(seconds=91))
    assert not first.acquire(NOW + timedelta(seconds=92))


def test_release_never_drops_someone_elses_lease(engine: Engine, second_sessions: sessionmaker[Session]) -> None:
    first = Lease(session_factory(engine), NAME, 60, owner="first")
    second = Lease(second_sessions, NAME, 60, owner="second")
    assert first.acquire(NOW)
    assert second.acquire(NOW + timedelta(seconds=120))
    first.release()  # it believes it holds the lease; the row is the second's now
    assert _rows(engine) == [(NAME, "second", NOW + timedelta(seconds=180))]


def test_leases_on_different_mailboxes_are_independent(engine: Engine) -> None:
    sessions = session_factory(engine)
    assert Lease(sessions, NAME, 60, owner="a").acquire(NOW)
    assert Lease(sessions, NAME + "/other", 60, owner="b").acquire(NOW)
    assert not Lease(sessions, NAME, 60, owner="b").acquire(NOW)


def test_racing_first_acquirers_get_exactly_one_winner(db_url: str, engine: Engine) -> None:
    engines = [make_engine(db_url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    results: dict[int, bool] = {}

    def contend(i: int) -> None:
        lease = Lease(session_factory(engines[i]), NAME, 60, owner=f"racer-{i}")
        barrier.wait()
        results[i] = lease.acquire(NOW)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(len(engines))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    assert sorted(results.values()) == [False, False, False, True]
    winner = next(i for i, ok in results.items() if ok)
    assert _rows(engine)[0][1] == f"racer-{winner}"


def test_owner_names_differ_between_leases() -> None:
    assert make_owner() != make_owner()
