"""The outbox drain on the test database (SQLite, or PostgreSQL) against a real aiosmtpd server."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, event, select, update

from mailbot.app import App, create_app
from mailbot.config import SmtpConfig
from mailbot.db.models import AuditEvent, Customer, OutboundMessage
from mailbot.domain import OutboundStatus
from mailbot.errors import PermanentSendError, RecipientRefusedError, TransientSendError
from mailbot.outbound.drain import (
    backoff_seconds,
    batch_limit,
    decide,
    drain_once,
    drain_until_empty,
    release_claims,
)
from mailbot.outbound.outbox import claim_due, finish_claim, finish_sent
from mailbot.outbound.senders import FileSender, MemorySender, SmtpSender
from mailbot.outbound.smtp_sink import RecordingHandler
from tests.support.factories import make_customer
from tests.support.smtp import enqueue_email, sink_handler, smtp_config

T0 = datetime(2026, 3, 14, 8, 0, tzinfo=UTC)
MakeApp = Callable[..., App]


@pytest.fixture
def make_app(tmp_path: Path, db_url: str, engine: Engine, smtp_sink: Controller) -> Iterator[MakeApp]:
    """An app whose SMTP settings point at the sink, with ``smtp`` overrides."""

    def build(**smtp: Any) -> App:
        values = {"retry_base_seconds": 60.0, "retry_max_seconds": 600.0, "max_attempts": 3, "connections": 2}
        values.update(smtp)
        return create_app(smtp_config(tmp_path, db_url, smtp_sink.port, **values), engine=engine)

    yield build


@pytest.fixture
def handler(smtp_sink: Controller) -> RecordingHandler:
    return sink_handler(smtp_sink)


def add_emails(app: App, count: int, customer_email: str = "", now: datetime = T0) -> list[OutboundMessage]:
    with app.sessions.begin() as session:
        kw = {"email": customer_email} if customer_email else {}
        customer = make_customer(session, **kw)
        return [
            enqueue_email(session, customer, app.config.mail, now, key=f"{customer.external_id}-{n}")
            for n in range(count)
        ]


def load(app: App, row_id: int) -> OutboundMessage:
    with app.sessions() as session:
        row = session.get(OutboundMessage, row_id)
        assert row is not None
        return row


def drain(app: App, at: datetime, sender: Any = None) -> Any:
    async def run() -> Any:
        smtp = sender or SmtpSender(app.config.smtp)
        try:
            return await drain_once(app, smtp, at)
        finally:
            await smtp.close()

    return asyncio.run(run())


# Pure decisions


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_seconds(n, 60, 600) for n in range(1, 7)] == [60, 120, 240, 480, 600, 600]
    assert backoff_seconds(10_000, 60, 600) == 600


def test_decide_each_outcome() -> None:
    smtp = SmtpConfig(max_attempts=3, retry_base_seconds=60, retry_max_seconds=3600)
    sent = decide(1, None, smtp, T0)
    assert (sent.status, sent.sent_at) == (OutboundStatus.SENT, T0)
    retry = decide(2, TransientSendError("451 4.3.0 try later", code=451), smtp, T0)
    assert (retry.status, retry.next_attempt_at, retry.last_error) == (
        OutboundStatus.PENDING,
        T0 + timedelta(seconds=120),
        "451 4.3.0 try later",
    )
    given_up = decide(3, TransientSendError("451 again", code=451), smtp, T0)
    assert given_up.status is OutboundStatus.FAILED and not given_up.undeliverable
    assert given_up.last_error == "gave up after 3 attempts: 451 again"
    bounced = decide(1, RecipientRefusedError("550 5.1.1 no such user", code=550), smtp, T0)
    assert (bounced.status, bounced.undeliverable, bounced.last_error) == (
        OutboundStatus.FAILED,
        True,
        "550 5.1.1 no such user",
    )
    refused = decide(1, PermanentSendError("refused at DATA: 554 5.7.1 spam", code=554), smtp, T0)
    assert (refused.status, refused.undeliverable) == (OutboundStatus.FAILED, False)


def test_batch_limit_fits_the_rate_into_half_a_lease() -> None:
    assert batch_limit(SmtpConfig(batch_size=100)) == 100
    assert batch_limit(SmtpConfig(batch_size=100), 7) == 7
    assert batch_limit(SmtpConfig(batch_size=100, rate_per_second=0.1, lease_seconds=300)) == 15


# Against the server


def test_due_rows_are_sent_once_with_their_message_ids(make_app: MakeApp, handler: RecordingHandler) -> None:
    app = make_app()
    rows = add_emails(app, 3)
    result = drain(app, T0)
    assert (result.claimed, result.sent, result.retried, result.failed) == (3, 3, 0, 0)
    assert sorted(handler.received_ids()) == sorted(r.message_id for r in rows)
    for row in rows:
        stored = load(app, row.id)
        assert (stored.status, stored.sent_at, stored.attempts) == (OutboundStatus.SENT, T0, 1)
        assert stored.claim_token is None and stored.lease_until is None
    assert drain(app, T0 + timedelta(hours=1)).claimed == 0
    assert len(handler.messages) == 3


def test_rows_not_yet_due_wait(make_app: MakeApp, handler: RecordingHandler) -> None:
    app = make_app()
    add_emails(app, 1, now=T0 + timedelta(minutes=5))
    assert drain(app, T0).claimed == 0
    assert drain(app, T0 + timedelta(minutes=5)).sent == 1


def test_4xx_is_retried_with_backoff_then_sent(make_app: MakeApp, handler: RecordingHandler) -> None:
    app = make_app()
    (row,) = add_emails(app, 1, "retry@example.org")
    handler.script_recipient("retry@example.org", "451 4.3.0 try later", "452 4.2.2 mailbox full")
    assert drain(app, T0).retried == 1
    stored = load(app, row.id)
    assert (stored.status, stored.attempts, stored.next_attempt_at) == (
        OutboundStatus.PENDING,
        1,
        T0 + timedelta(seconds=60),
    )
    assert stored.last_error == "451 4.3.0 try later"
    assert drain(app, T0 + timedelta(seconds=59)).claimed == 0  # backoff respected
    assert drain(app, T0 + timedelta(seconds=60)).retried == 1
    stored = load(app, row.id)
    assert (stored.attempts, stored.next_attempt_at) == (2, T0 + timedelta(seconds=180))
    assert drain(app, T0 + timedelta(seconds=180)).sent == 1
    stored = load(app, row.id)
    assert (stored.status, stored.attempts, stored.sent_at) == (OutboundStatus.SENT, 3, T0 + timedelta(seconds=180))
    assert handler.received_ids() == [row.message_id]


def test_4xx_beyond_max_attempts_fails_without_blaming_the_customer(
    make_app: MakeApp, handler: RecordingHandler
) -> None:
    app = make_app(max_attempts=3)
    (row,) = add_emails(app, 1, "busy@example.org")
    handler.reject_recipient("busy@example.org", "451 4.3.0 try later")
    results = [drain(app, T0 + timedelta(seconds=s)) for s in (0, 60, 180, 10_000)]
    assert [(r.retried, r.failed) for r in results] == [(1, 0), (1, 0), (0, 1), (0, 0)]
    stored = load(app, row.id)
    assert (stored.status, stored.attempts) == (OutboundStatus.FAILED, 3)
    assert stored.last_error == "gave up after 3 attempts: 451 4.3.0 try later"
    with app.sessions() as session:
        customer = session.get(Customer, stored.customer_id)
        assert customer is not None and not customer.email_undeliverable
    assert handler.messages == []


def test_5xx_fails_marks_the_customer_audits_and_cancels_their_later_mail(
    make_app: MakeApp, handler: RecordingHandler
) -> None:
    app = make_app(connections=1)  # one at a time: the second row of the customer comes after the bounce
    first, second = add_emails(app, 2, "gone@example.org")
    (other,) = add_emails(app, 1, "fine@example.org")
    handler.reject_recipient("gone@example.org", "550 5.1.1 no such user")
    result = drain(app, T0)
    assert (result.sent, result.failed, result.undeliverable, result.cancelled) == (1, 1, 1, 1)
    failed, cancelled = load(app, first.id), load(app, second.id)
    assert (failed.status, failed.last_error) == (OutboundStatus.FAILED, "550 5.1.1 no such user")
    assert cancelled.status is OutboundStatus.CANCELLED
    assert "undeliverable" in (cancelled.last_error or "") and "550 5.1.1" in (cancelled.last_error or "")
    assert load(app, other.id).status is OutboundStatus.SENT
    with app.sessions() as session:
        customer = session.get(Customer, failed.customer_id)
        assert customer is not None and customer.email_undeliverable
        assert customer.undeliverable_reason == "550 5.1.1 no such user"
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "customer.email_undeliverable")).all()
        assert [(e.entity_id, e.message_ref) for e in events] == [(str(customer.id), first.message_id)]
        later = enqueue_email(session, customer, app.config.mail, T0, key="later")
        session.commit()
    result = drain(app, T0 + timedelta(days=1))
    assert (result.claimed, result.cancelled) == (0, 1)
    stored = load(app, later.id)
    assert stored.status is OutboundStatus.CANCELLED
    assert stored.last_error == "not sent: address undeliverable (550 5.1.1 no such user)"
    assert handler.received_ids() == [other.message_id]


def test_crash_recovery_takes_expired_leases_only(make_app: MakeApp, handler: RecordingHandler) -> None:
    app = make_app(max_attempts=3)
    expired, live, exhausted = add_emails(app, 3)
    with app.sessions.begin() as session:
        for row, lease, attempts in ((expired, -1, 1), (live, 60, 1), (exhausted, -1, 3)):
            session.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id == row.id)
                .values(
                    status=OutboundStatus.SENDING,
                    claim_token="died-with-its-process",
                    lease_until=T0 + timedelta(seconds=lease),
                    attempts=attempts,
                )
            )
    result = drain(app, T0)
    assert (result.claimed, result.recovered, result.sent, result.failed) == (1, 1, 1, 1)
    assert handler.received_ids() == [expired.message_id]
    assert (load(app, expired.id).status, load(app, expired.id).attempts) == (OutboundStatus.SENT, 2)
    assert load(app, live.id).status is OutboundStatus.SENDING
    gave_up = load(app, exhausted.id)
    assert gave_up.status is OutboundStatus.FAILED and "interrupted" in (gave_up.last_error or "")
    assert drain(app, T0 + timedelta(seconds=61)).sent == 1  # the live lease ran out later
    assert sorted(handler.received_ids()) == sorted([expired.message_id, live.message_id])


def test_marking_needs_the_claim_token(make_app: MakeApp) -> None:
    app = make_app()
    (row,) = add_emails(app, 1)
    smtp = app.config.smtp
    with app.sessions.begin() as session:
        first = claim_due(session, now=T0, lease_seconds=60, limit=10, max_attempts=smtp.max_attempts)
    later = T0 + timedelta(seconds=61)
    with app.sessions.begin() as session:  # the first drainer stalled; a second one takes the row over
        second = claim_due(session, now=later, lease_seconds=60, limit=10, max_attempts=smtp.max_attempts)
    assert [r.id for r in first.rows] == [r.id for r in second.rows] == [row.id]
    assert second.recovered == 1 and first.token != second.token
    with app.sessions.begin() as session:
        assert not finish_claim(session, row.id, first.token, status=OutboundStatus.SENT, sent_at=later)
        assert finish_claim(session, row.id, second.token, status=OutboundStatus.SENT, sent_at=later)
    assert load(app, row.id).status is OutboundStatus.SENT


def test_two_drainers_send_each_message_exactly_once(
    make_app: MakeApp, handler: RecordingHandler, tmp_path: Path, db_url: str, smtp_sink: Controller
) -> None:
    app = make_app(batch_size=4, connections=2)
    rows = add_emails(app, 20) + add_emails(app, 20)
    config = app.config
    apps = [create_app(config) for _ in range(2)]  # each drainer has its own engine and sessions
    start = threading.Barrier(2)
    results: list[Any] = []

    def drainer(own: App) -> None:
        async def run() -> Any:
            sender = SmtpSender(own.config.smtp)
            try:
                return await drain_until_empty(own, sender, T0)
            finally:
                await sender.close()

        start.wait()
        results.append(asyncio.run(run()))

    threads = [threading.Thread(target=drainer, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for a in apps:
        a.close()
    assert len(results) == 2
    ids = handler.received_ids()
    assert len(ids) == 40
    assert sorted(ids) == sorted(r.message_id for r in rows)
    assert sum(r.sent for r in results) == 40 and sum(r.lost for r in results) == 0
    assert all(load(app, r.id).status is OutboundStatus.SENT for r in rows)


def test_release_claims_puts_rows_back_as_they_were(make_app: MakeApp) -> None:
    app = make_app()
    rows = add_emails(app, 3)
    with app.sessions.begin() as session:
        batch = claim_due(session, now=T0, lease_seconds=300, limit=10, max_attempts=3)
    assert all(load(app, r.id).status is OutboundStatus.SENDING for r in rows)
    assert release_claims(app, [batch.token]) == 3
    for row in rows:
        stored = load(app, row.id)
        assert (stored.status, stored.attempts, stored.claim_token) == (OutboundStatus.PENDING, 0, None)
    assert release_claims(app, [batch.token]) == 0


def test_stop_releases_what_was_not_started(make_app: MakeApp, handler: RecordingHandler) -> None:
    app = make_app(connections=1)
    rows = add_emails(app, 3)
    stop = asyncio.Event()

    class StopsOnFirstSend(MemorySender):
        async def send(self, message: Any) -> None:
            stop.set()  # the send in hand still ends and is recorded
            await super().send(message)

    result = asyncio.run(drain_once(app, StopsOnFirstSend(), T0, stop=stop))
    assert (result.claimed, result.sent, result.released) == (3, 1, 2)
    states = [(load(app, r.id).status, load(app, r.id).attempts) for r in rows]
    assert states == [(OutboundStatus.SENT, 1), (OutboundStatus.PENDING, 0), (OutboundStatus.PENDING, 0)]


def test_once_stopping_nothing_is_claimed(make_app: MakeApp) -> None:
    app = make_app()
    rows = add_emails(app, 2)
    stop = asyncio.Event()
    stop.set()
    result = asyncio.run(drain_once(app, MemorySender(), T0, stop=stop))
    assert result.claimed == 0
    assert all((load(app, r.id).status, load(app, r.id).attempts) == (OutboundStatus.PENDING, 0) for r in rows)


def test_a_lease_that_ran_out_before_sending_is_not_used(make_app: MakeApp) -> None:
    app = make_app(lease_seconds=60)
    (row,) = add_emails(app, 1)
    times = iter([T0])  # the claim happens at T0, everything after it is past the lease

    def clock() -> datetime:
        return next(times, T0 + timedelta(seconds=61))

    sender = MemorySender()
    result = asyncio.run(drain_once(app, sender, clock))
    assert (result.claimed, result.released, result.sent) == (1, 1, 0)
    assert sender.sent == []
    assert load(app, row.id).status is OutboundStatus.PENDING


def test_a_message_that_cannot_be_built_fails_alone(make_app: MakeApp) -> None:
    app = make_app()
    with app.sessions.begin() as session:
        customer = make_customer(session, email="mario\x07@example.org")  # a control character: no header for it
        bad = enqueue_email(session, customer, app.config.mail, T0, key="bad")
    sender = MemorySender()
    result = asyncio.run(drain_once(app, sender, T0))
    assert (result.failed, result.undeliverable, sender.sent) == (1, 0, [])
    stored = load(app, bad.id)
    assert stored.status is OutboundStatus.FAILED and "cannot build" in (stored.last_error or "")


def test_undeliverable_customers_get_no_mail(make_app: MakeApp) -> None:
    app = make_app()
    (row,) = add_emails(app, 1)
    with app.sessions.begin() as session:
        session.execute(
            update(Customer)
            .where(Customer.id == row.customer_id)
            .values(email_undeliverable=True, undeliverable_reason="bounce 5.1.1 seen by the inbound side")
        )
    sender = MemorySender()
    result = asyncio.run(drain_once(app, sender, T0))
    assert (result.claimed, result.cancelled, sender.sent) == (0, 1, [])
    assert load(app, row.id).last_error == "not sent: address undeliverable (bounce 5.1.1 seen by the inbound side)"


def test_drain_until_empty_goes_batch_by_batch_into_eml_files(make_app: MakeApp, tmp_path: Path) -> None:
    app = make_app(batch_size=3)
    rows = add_emails(app, 7)
    sender = FileSender(tmp_path / "files")
    result = asyncio.run(drain_until_empty(app, sender, T0))
    assert (result.claimed, result.sent) == (7, 7)
    assert len(list((tmp_path / "files").glob("*.eml"))) == 7
    assert all(load(app, r.id).status is OutboundStatus.SENT for r in rows)


@pytest.mark.parametrize("returning", [True, False], ids=["update-returning", "row-by-row"])
def test_finish_sent_marks_many_rows_each_at_its_own_time_and_only_ours(
    make_app: MakeApp, engine: Engine, monkeypatch: pytest.MonkeyPatch, returning: bool
) -> None:
    if not returning:  # an SQLite older than 3.35 has no UPDATE ... RETURNING
        monkeypatch.setattr(engine.dialect, "update_returning", False)
    app = make_app()
    rows = add_emails(app, 5)
    with app.sessions.begin() as session:
        batch = claim_due(session, now=T0, lease_seconds=60, limit=10, max_attempts=3)
    assert batch.token and len(batch.rows) == 5
    stolen = rows[4]
    with app.sessions.begin() as session:  # another drainer took this one over meanwhile
        session.execute(update(OutboundMessage).where(OutboundMessage.id == stolen.id).values(claim_token="other"))
    times = {r.id: T0 + timedelta(seconds=n) for n, r in enumerate(rows)}
    with app.sessions.begin() as session:
        assert finish_sent(session, batch.token, times) == {r.id for r in rows[:4]}
    for row in rows[:4]:
        stored = load(app, row.id)
        assert (stored.status, stored.sent_at, stored.claim_token, stored.lease_until) == (
            OutboundStatus.SENT,
            times[row.id],
            None,
            None,
        )
    assert (load(app, stolen.id).status, load(app, stolen.id).claim_token) == (OutboundStatus.SENDING, "other")
    with app.sessions.begin() as session:  # twice: nothing is ours any more
        assert finish_sent(session, batch.token, times) == set()
    with app.sessions.begin() as session:
        assert finish_sent(session, "other", {stolen.id: T0}) == {stolen.id}
    assert load(app, stolen.id).sent_at == T0


def test_claim_takes_each_kind_in_bulk_and_counts_them(make_app: MakeApp) -> None:
    app = make_app(max_attempts=3)
    fresh = add_emails(app, 3)
    expired, exhausted = add_emails(app, 2)
    (blocked,) = add_emails(app, 1, "blocked@example.org")
    with app.sessions.begin() as session:
        for row, attempts in ((expired, 1), (exhausted, 3)):
            session.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id == row.id)
                .values(
                    status=OutboundStatus.SENDING, claim_token="dead", lease_until=T0 - timedelta(1), attempts=attempts
                )
            )
        session.execute(
            update(Customer)
            .where(Customer.id == blocked.customer_id)
            .values(email_undeliverable=True, undeliverable_reason="550 gone")
        )
    with app.sessions.begin() as session:
        batch = claim_due(session, now=T0, lease_seconds=60, limit=10, max_attempts=3)
    assert sorted(r.id for r in batch.rows) == sorted(r.id for r in [*fresh, expired])
    assert (batch.recovered, batch.cancelled, batch.abandoned) == (1, 1, 1)
    assert [load(app, r.id).attempts for r in fresh] == [1, 1, 1] and load(app, expired.id).attempts == 2
    assert all(load(app, r.id).claim_token == batch.token for r in [*fresh, expired])
    assert load(app, blocked.id).last_error == "not sent: address undeliverable (550 gone)"
    assert "gave up after 3 attempts" in (load(app, exhausted.id).last_error or "")


# Outcomes are written in groups; every row still gets its own outcome.


def test_a_mixed_batch_marks_each_row_right(make_app: MakeApp, handler: RecordingHandler) -> None:
    app = make_app(connections=2, max_attempts=3)
    sent = add_emails(app, 3, "ok@example.org") + add_emails(app, 3, "fine@example.org")
    (later,) = add_emails(app, 1, "later@example.org")
    (gone,) = add_emails(app, 1, "gone@example.org")
    (broken,) = add_emails(app, 1, "broken@example.org")
    handler.script_recipient("later@example.org", "451 4.3.0 try later")
    handler.reject_recipient("gone@example.org", "550 5.1.1 no such user")
    with app.sessions.begin() as session:  # the last attempt of this one: a 4xx now gives up
        session.execute(update(OutboundMessage).where(OutboundMessage.id == broken.id).values(attempts=2))
    handler.reject_recipient("broken@example.org", "421 4.7.0 busy")
    result = drain(app, T0)
    assert (result.claimed, result.sent, result.retried, result.failed, result.undeliverable, result.lost) == (
        9,
        6,
        1,
        2,
        1,
        0,
    )
    for row in sent:
        stored = load(app, row.id)
        assert (stored.status, stored.sent_at, stored.attempts, stored.last_error) == (OutboundStatus.SENT, T0, 1, None)
    retry = load(app, later.id)
    assert (retry.status, retry.next_attempt_at, retry.last_error, retry.claim_token) == (
        OutboundStatus.PENDING,
        T0 + timedelta(seconds=60),
        "451 4.3.0 try later",
        None,
    )
    bounced = load(app, gone.id)
    assert (bounced.status, bounced.last_error, bounced.sent_at) == (
        OutboundStatus.FAILED,
        "550 5.1.1 no such user",
        None,
    )
    gave_up = load(app, broken.id)
    assert (gave_up.status, gave_up.attempts) == (OutboundStatus.FAILED, 3)
    assert gave_up.last_error == "gave up after 3 attempts: 421 4.7.0 busy"
    with app.sessions() as session:
        flagged = {c.email for c in session.scalars(select(Customer).where(Customer.email_undeliverable.is_(True)))}
    assert flagged == {"gone@example.org"}
    assert sorted(handler.received_ids()) == sorted(r.message_id for r in sent)


def test_outcomes_reached_before_a_cancel_are_still_written(make_app: MakeApp) -> None:
    app = make_app(connections=1)
    rows = add_emails(app, 5)

    class Hangs:
        """Accepts two messages, then hangs on the third until cancelled."""

        def __init__(self) -> None:
            self.sent: list[object] = []
            self.hanging = asyncio.Event()

        async def send(self, message: object) -> None:
            if len(self.sent) == 2:
                self.hanging.set()
                await asyncio.Event().wait()
            self.sent.append(message)
            await asyncio.sleep(0)

        async def close(self) -> None:
            return None

    async def run() -> None:
        sender = Hangs()
        task = asyncio.create_task(drain_once(app, sender, T0))
        await sender.hanging.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())
    states = [(load(app, r.id).status, load(app, r.id).attempts) for r in rows]
    assert states == [
        (OutboundStatus.SENT, 1),
        (OutboundStatus.SENT, 1),
        (OutboundStatus.SENDING, 1),  # in flight when cancelled: taken again after its lease (at-least-once)
        (OutboundStatus.PENDING, 0),
        (OutboundStatus.PENDING, 0),
    ]


def test_outcomes_gathered_meanwhile_are_written_in_one_transaction(make_app: MakeApp, engine: Engine) -> None:
    app = make_app(connections=2)
    rows = add_emails(app, 6)
    (bounced,) = add_emails(app, 1, "gone@example.org")
    sender = MemorySender()  # answers at once: every outcome is in before the first write starts
    sender.fail_next(None, 451)
    sender.fail_address("gone@example.org", 550)
    commits: list[int] = []

    def count(_conn: object) -> None:
        commits.append(1)

    event.listen(engine, "commit", count)
    try:
        result = asyncio.run(drain_once(app, sender, T0))
    finally:
        event.remove(engine, "commit", count)
    assert len(commits) == 2  # the claim, then one write for all seven outcomes
    assert (result.sent, result.retried, result.failed, result.undeliverable) == (5, 1, 1, 1)
    states = [load(app, r.id).status for r in [*rows, bounced]]
    assert states == [OutboundStatus.SENT, OutboundStatus.PENDING] + [OutboundStatus.SENT] * 4 + [OutboundStatus.FAILED]


def test_rows_not_started_are_released_even_when_writing_fails(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(connections=1)
    rows = add_emails(app, 5)

    class Slow:
        async def send(self, message: object) -> None:
            await asyncio.sleep(0.03)

        async def close(self) -> None:
            return None

    def broken(*args: object) -> list[bool]:
        raise RuntimeError("database went away")

    monkeypatch.setattr("mailbot.outbound.drain._record_many", broken)
    with pytest.raises((RuntimeError, ExceptionGroup)):
        asyncio.run(drain_once(app, Slow(), T0))
    states = [(load(app, r.id).status, load(app, r.id).attempts) for r in rows]
    assert states[-1] == (OutboundStatus.PENDING, 0)  # never tried: back in the queue at once
    assert all(state in {(OutboundStatus.SENDING, 1), (OutboundStatus.PENDING, 0)} for state in states)
    assert states[0] == (OutboundStatus.SENDING, 1)  # sent, but its mark was lost: again after the lease


def test_the_last_outcomes_of_a_batch_do_not_wait_for_the_group(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(connections=1)
    rows = add_emails(app, 3)
    monkeypatch.setattr("mailbot.outbound.drain.GROUP_WAIT_SECONDS", 30.0)

    class Yields:
        async def send(self, message: object) -> None:
            await asyncio.sleep(0.001)

        async def close(self) -> None:
            return None

    started = time.monotonic()
    result = asyncio.run(drain_once(app, Yields(), T0))
    assert time.monotonic() - started < 10  # the writer stopped waiting when the workers were done
    assert result.sent == 3 and all(load(app, r.id).status is OutboundStatus.SENT for r in rows)


# A 5xx at RCPT refuses the address; a 5xx at DATA (or a policy refusal at RCPT) refuses the message.


def _undeliverable_events(app: App) -> list[AuditEvent]:
    with app.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "customer.email_undeliverable")))


def _customer(app: App, row: OutboundMessage) -> Customer:
    with app.sessions() as session:
        return session.get_one(Customer, row.customer_id)


def test_a_5xx_at_data_fails_the_message_for_staff_and_keeps_the_address(
    make_app: MakeApp, handler: RecordingHandler, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mailbot.cli import main

    app = make_app(connections=1)
    refused, later = add_emails(app, 2, "picky@example.org")
    handler.script_data("554 5.7.1 Message rejected: content policy")
    result = drain(app, T0)
    assert (result.sent, result.failed, result.undeliverable, result.cancelled) == (1, 1, 0, 0)
    failed = load(app, refused.id)
    assert failed.status is OutboundStatus.FAILED
    assert "554 5.7.1 Message rejected: content policy" in (failed.last_error or "")
    assert load(app, later.id).status is OutboundStatus.SENT  # the customer still gets their mail
    assert not _customer(app, refused).email_undeliverable and _undeliverable_events(app) == []
    assert handler.received_ids() == [later.message_id]
    assert main(["--config", str(config_file), "outbox", "list", "--status", "failed"]) == 0
    out = capsys.readouterr().out
    assert str(refused.id) in out and "554 5.7.1 Message rejected: content policy" in out


@pytest.mark.parametrize(
    ("reply", "marks_the_address"),
    [
        # A 5.7.x at RCPT is about us or the message (our IP on a block list, SPF, relaying), not the mailbox.
        ("550 5.7.1 Service unavailable; client host blocked", False),
        ("550 No such user here", True),  # no enhanced status: the recipient is refused
    ],
)
def test_a_5xx_at_rcpt_marks_the_address_unless_it_names_a_policy(
    make_app: MakeApp, handler: RecordingHandler, reply: str, marks_the_address: bool
) -> None:
    app = make_app(connections=1)
    (refused,) = add_emails(app, 1, "refused@example.org")
    handler.script_recipient("refused@example.org", reply)
    result = drain(app, T0)
    assert (result.failed, result.undeliverable) == (1, int(marks_the_address))
    assert reply in (load(app, refused.id).last_error or "")
    assert _customer(app, refused).email_undeliverable is marks_the_address
    assert [e.message_ref for e in _undeliverable_events(app)] == [refused.message_id] * marks_the_address
