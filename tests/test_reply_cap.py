"""The daily cap on automatic replies counts what it should: reply templates, to this address in any case,
created since local midnight."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from mailbot.act.pipeline import process_inbound, process_many
from mailbot.act.reply_cap import (
    give_back_reply_allowance,
    local_midnight,
    prune_reply_allowances,
    take_reply_allowance,
)
from mailbot.app import App, create_app
from mailbot.db.engine import transaction
from mailbot.db.models import InboundMessage, OutboundMessage, ReplyAllowance
from mailbot.intake.store import Origin, store_many
from mailbot.outbound.context import REPLY_TEMPLATES
from mailbot.outbound.outbox import NewMessage, enqueue
from mailbot.outbound.render import RenderedEmail
from mailbot.understand.rules import RuleSet
from tests.support.config import make_config
from tests.support.inbound import eml

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
CAP = 3


def test_the_cap_counts_reply_templates_since_local_midnight(tmp_path: Path, db_url: str, engine: Engine) -> None:
    app = create_app(make_config(tmp_path, db_url, inbound={"max_auto_replies_per_day": CAP}), engine=engine)
    midnight = local_midnight(NOW, app.config)
    rows = [  # (key, template, address, created_at)
        ("r1", REPLY_TEMPLATES[0], "Curioso@Example.org", midnight),  # counts: at midnight, any case
        ("r2", REPLY_TEMPLATES[-1], " curioso@example.org", NOW),  # counts
        ("r3", REPLY_TEMPLATES[0], "curioso@example.org", midnight - timedelta(seconds=1)),  # yesterday
        ("r4", "expiry_reminder", "curioso@example.org", NOW),  # not an automatic reply
        ("r5", REPLY_TEMPLATES[0], "altro@example.org", NOW),  # someone else
    ]
    with transaction(app.sessions) as session:
        for key, template, address, created in rows:
            message = NewMessage(key, template, "it", address.strip(), RenderedEmail("s", "t", "<p>h</p>"))
            row = enqueue(session, message, mail=app.config.mail, now=created)
            assert row is not None
            row.created_at = created

    def room(address: str, now: datetime) -> int:
        """How many replies the cap still lets through: CAP less the replies it counted."""
        with app.sessions() as session:  # closed uncommitted: rolled back
            taken = 0
            while take_reply_allowance(session, app.config, address, now) is None:
                taken += 1
        return taken

    assert room("CURIOSO@example.org ", NOW) == CAP - 2
    assert room("altro@example.org", NOW) == CAP - 1
    assert room("nessuno@example.org", NOW) == CAP - 0
    assert room("curioso@example.org", NOW + timedelta(days=1)) == CAP - 0


# Racing: the count and the enqueue must be one step, or two jobs that count at the same time both
# find room under the cap. Each test runs its jobs in threads with sessions of their own, and holds
# every job at its INSERT into the outbox until all of them got there (or a short wait passed, when a
# job is rightly blocked by another's lock): the worst interleaving of a count-then-insert.


def _hold_outbox_inserts(engine: Engine, parties: int) -> None:
    barrier = threading.Barrier(parties)

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOUND_MESSAGE"):
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=1.5)

    event.listen(engine, "before_cursor_execute", before)


def _race(jobs: list[Callable[[], object]]) -> None:
    with ThreadPoolExecutor(len(jobs)) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


def _replies_to(app: App, address: str) -> int:
    with app.sessions() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    OutboundMessage.template.in_(REPLY_TEMPLATES), OutboundMessage.to_address == address
                )
            )
            or 0
        )


def _store(app: App, raws: list[bytes]) -> list[int]:
    with transaction(app.sessions) as session:
        return [
            r.inbound_id for r in store_many(session, list(enumerate(raws)), Origin("imap"), now=NOW, config=app.config)
        ]


def test_messages_processed_at_once_one_by_one_never_pass_the_cap(
    tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet
) -> None:
    app = create_app(make_config(tmp_path, db_url, inbound={"max_auto_replies_per_day": CAP}), engine=engine)
    raws = [eml(f"Domanda numero {n} sul servizio.", sender="curioso@example.org", mid=f"q{n}@x.org") for n in range(5)]
    ids = _store(app, raws)
    _hold_outbox_inserts(engine, len(ids))
    _race([partial(process_inbound, app, i, NOW, rules) for i in ids])
    assert _replies_to(app, "curioso@example.org") == CAP
    with app.sessions() as session:
        notes = [n for i in ids for n in session.get_one(InboundMessage, i).understanding["actions"]["notes"]]
    assert sum(f"already {CAP} automatic replies today" in n for n in notes) == len(ids) - CAP


def test_batches_processed_at_once_never_pass_the_cap(
    tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet
) -> None:
    app = create_app(make_config(tmp_path, db_url, inbound={"max_auto_replies_per_day": CAP}), engine=engine)

    def questions(b: int) -> list[bytes]:
        return [eml(f"Domanda {b}-{n}.", sender="curioso@example.org", mid=f"q{b}-{n}@x.org") for n in range(CAP)]

    batches = [_store(app, questions(b)) for b in range(2)]
    _hold_outbox_inserts(engine, len(batches))
    _race([partial(process_many, app, ids, NOW, rules) for ids in batches])
    assert _replies_to(app, "curioso@example.org") == CAP


# The allowance itself, in the caller's transaction.


def _allowance_app(tmp_path: Path, db_url: str, engine: Engine, cap: int = 2) -> App:
    return create_app(make_config(tmp_path, db_url, inbound={"max_auto_replies_per_day": cap}), engine=engine)


def test_the_allowance_runs_out_at_the_cap_per_address_and_day(tmp_path: Path, db_url: str, engine: Engine) -> None:
    app = _allowance_app(tmp_path, db_url, engine)
    with transaction(app.sessions) as session:
        taken = [take_reply_allowance(session, app.config, "Curioso@Example.org", NOW) for _ in range(3)]
        other = take_reply_allowance(session, app.config, "altro@example.org", NOW)
        tomorrow = take_reply_allowance(session, app.config, "curioso@example.org", NOW + timedelta(days=1))
    assert taken == [None, None, "Curioso@Example.org: already 2 automatic replies today"]
    assert other is None and tomorrow is None


def test_an_allowance_given_back_or_rolled_back_can_be_taken_again(tmp_path: Path, db_url: str, engine: Engine) -> None:
    app = _allowance_app(tmp_path, db_url, engine, cap=1)
    with pytest.raises(RuntimeError), transaction(app.sessions) as session:
        assert take_reply_allowance(session, app.config, "c@example.org", NOW) is None
        raise RuntimeError("the enqueue failed")
    with transaction(app.sessions) as session:
        assert take_reply_allowance(session, app.config, "c@example.org", NOW) is None
        give_back_reply_allowance(session, app.config, "c@example.org", NOW)
        assert take_reply_allowance(session, app.config, "c@example.org", NOW) is None
        assert take_reply_allowance(session, app.config, "c@example.org", NOW) is not None


def test_the_first_allowance_of_a_day_counts_the_replies_already_in_the_outbox(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    """Replies enqueued before the allowance table existed (the day of the upgrade) count too."""
    app = _allowance_app(tmp_path, db_url, engine, cap=3)
    with transaction(app.sessions) as session:
        for key in ("a", "b"):
            message = NewMessage(key, REPLY_TEMPLATES[0], "it", "c@example.org", RenderedEmail("s", "t", "<p>h</p>"))
            assert enqueue(session, message, mail=app.config.mail, now=NOW) is not None
    with transaction(app.sessions) as session:
        taken = [take_reply_allowance(session, app.config, "C@example.org", NOW) for _ in range(2)]
    assert taken[0] is None and taken[1] is not None


def test_a_cap_of_zero_allows_nothing(tmp_path: Path, db_url: str, engine: Engine) -> None:
    app = _allowance_app(tmp_path, db_url, engine, cap=0)
    with transaction(app.sessions) as session:
        assert take_reply_allowance(session, app.config, "c@example.org", NOW) is not None


def test_rows_of_past_days_are_pruned(tmp_path: Path, db_url: str, engine: Engine) -> None:
    app = _allowance_app(tmp_path, db_url, engine)
    with transaction(app.sessions) as session:
        for days_ago in (0, 1, 2, 30):
            take_reply_allowance(session, app.config, "c@example.org", NOW - timedelta(days=days_ago))
    with transaction(app.sessions) as session:
        assert prune_reply_allowances(session, app.config, NOW) == 2
    with app.sessions() as session:
        days = sorted(session.scalars(select(ReplyAllowance.day)))
    today = local_midnight(NOW, app.config).date()
    assert days == [today - timedelta(days=1), today]
