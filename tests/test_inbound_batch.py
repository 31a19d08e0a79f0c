"""Batches on the inbound path: ``store.store_many`` (one look-up, one INSERT flush, one COMMIT by the
caller) and ``pipeline.process_many`` (one transaction, the batch's rows written in one flush) give the
answers of ``store_raw`` and ``process_inbound`` one at a time, and one bad message costs only itself."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import mailbot.intake.imap.connection as connection_module
from mailbot.act import pipeline
from mailbot.act.pipeline import Outcome, process_inbound, process_many
from mailbot.app import App, create_app
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent, Customer, InboundMessage, OutboundMessage, Service, Ticket
from mailbot.domain import CustomerKind, InboundStatus, PaymentMethod
from mailbot.errors import TransientError
from mailbot.intake import store
from mailbot.intake.folders import folder_for
from mailbot.intake.imap.listener import drain_mailbox
from mailbot.intake.prepare import Prepared
from mailbot.intake.store import Origin, StoreResult, store_many, store_raw
from mailbot.outbound.context import REPLY_TEMPLATES
from mailbot.outbound.outbox import Claim
from mailbot.testing.dovecot import DovecotServer
from mailbot.understand import reading as understand
from mailbot.understand.rules import RuleSet
from tests.support.config import make_config
from tests.support.factories import make_customer, make_service
from tests.support.imap import FOLDERS, assert_each_in_its_folder, imap_only, make_app
from tests.support.inbound import eml, outbound_to, process_seeing_sql, rows

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
CORPUS = Path(__file__).parent / "corpus"
REPLIES = OutboundMessage.__table__.select().where(OutboundMessage.template.in_(REPLY_TEMPLATES)).subquery()
NAMES = ("renewal_it_cp1252", "auto_reply_it", "list_traffic", "cancellation_it", "trap_forwarded_attachment_cig")


def variant(name: str, tag: str, extra: bytes = b"") -> bytes:
    raw = (CORPUS / f"{name}.eml").read_bytes()
    head, sep, body = raw.partition(b"\n\n")
    lines = [line for line in head.split(b"\n") if not line.lower().startswith(b"message-id:")]
    lines.append(f"Message-ID: <{tag}@batch.example.org>".encode())
    if extra:
        lines.append(extra)
    return b"\n".join(lines) + sep + body


def messages(*extra: tuple[int, bytes]) -> list[bytes]:
    marks = dict(extra)
    return [variant(name, f"m{i}", marks.get(i, b"")) for i, name in enumerate(NAMES)]


def stored_ids(app: App, raws: list[bytes]) -> list[int]:
    with transaction(app.sessions) as session:
        results = store_many(session, list(enumerate(raws)), Origin("imap"), now=NOW, config=app.config)
    return [r.inbound_id for r in results]


def count(session: Session, what: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(what)) or 0)


def poison_reader(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    real = understand.read_message

    def read_message(raw: bytes, **kw: Any) -> Any:
        if b"X-Test-Poison: yes" in raw:
            raise error
        return real(raw, **kw)

    monkeypatch.setattr("mailbot.act.pipeline.read_message", read_message)


# store_many ------------------------------------------------------------------------------------


def test_store_many_answers_as_store_raw_one_at_a_time(app: App) -> None:
    raws = messages()
    with transaction(app.sessions) as session:
        first = store_raw(session, raws[1], Origin("imap"), now=NOW, config=app.config)
    items = [(10, raws[0]), (11, raws[1]), (12, raws[2]), (13, raws[0])]  # one stored before, one twice
    with transaction(app.sessions) as session:
        results = store_many(session, items, Origin("imap", mailbox="mb", uidvalidity=7), now=NOW, config=app.config)
    assert [r.duplicate for r in results] == [False, True, False, True]
    assert results[1] == StoreResult(first.inbound_id, True, InboundStatus.RECEIVED)
    assert results[3].inbound_id == results[0].inbound_id
    with app.sessions() as session:
        rows = list(session.scalars(select(InboundMessage).order_by(InboundMessage.id)))
        assert len(rows) == 3
        by_id = {row.id: row for row in rows}
        assert (by_id[results[0].inbound_id].uid, by_id[results[2].inbound_id].uid) == (10, 12)
        assert by_id[results[0].inbound_id].mailbox == "mb" and by_id[results[0].inbound_id].uidvalidity == 7
        assert store.load_raw(by_id[results[2].inbound_id]) == raws[2]


def test_store_many_redacts_and_quarantines_too_large_as_store_raw(tmp_path: Path, db_url: str, engine: Engine) -> None:
    card = variant("renewal_it_cp1252", "card").replace(b"\n\n", b"\n\nCarta 4111 1111 1111 1111\n", 1)
    big = variant("list_traffic", "big") + b"x" * 2000
    app = create_app(make_config(tmp_path, db_url, inbound={"max_message_bytes": len(big) - 1}), engine=engine)
    with transaction(app.sessions) as session:
        results = store_many(session, [(1, card), (2, big)], Origin("imap"), now=NOW, config=app.config)
    assert [r.status for r in results] == [InboundStatus.RECEIVED, InboundStatus.QUARANTINED]
    with app.sessions() as session:
        kept = session.get(InboundMessage, results[0].inbound_id)
        assert kept is not None and kept.card_number_detected
        assert b"4111 1111 1111 1111" not in store.load_raw(kept)
        ticket = session.scalars(select(Ticket).where(Ticket.inbound_id == results[1].inbound_id)).one()
        assert "too large" in ticket.summary
        opened = session.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == "ticket.opened")).all()
        assert opened == [str(ticket.id)]


def test_store_many_meeting_a_concurrent_copy_stores_one_at_a_time(
    app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    raws = messages()[:3]
    real_row_values = store._row_values
    sneaked: list[InboundMessage] = []
    sessions: list[Session] = []

    def row_values(p: Prepared, origin: store.Origin, *rest: Any) -> dict[str, Any]:
        if not sneaked:  # the first message is stored by someone else after the look-up, before the INSERT
            twin = InboundMessage(**real_row_values(p, replace(origin, source="maildir"), *rest))
            with sessions[0].begin_nested():
                sessions[0].add(twin)
            sneaked.append(twin)
        return real_row_values(p, origin, *rest)

    monkeypatch.setattr(store, "_row_values", row_values)
    caplog.set_level("INFO", logger="mailbot.intake.store")
    with transaction(app.sessions) as session:
        sessions.append(session)
        results = store_many(session, list(enumerate(raws)), Origin("imap"), now=NOW, config=app.config)
    assert "met a concurrent copy" in caplog.text
    assert results[0] == StoreResult(sneaked[0].id, True, InboundStatus.RECEIVED)
    assert [r.duplicate for r in results[1:]] == [False, False]
    with app.sessions() as session:
        assert count(session, InboundMessage) == 3
        assert session.get(InboundMessage, results[0].inbound_id).source == "maildir"  # type: ignore[union-attr]


# process_many ----------------------------------------------------------------------------------


def test_process_many_gives_the_outcomes_of_process_inbound(app: App, rules: RuleSet, tmp_path: Path) -> None:
    ids = stored_ids(app, messages())
    outcomes = process_many(app, ids, NOW, rules)
    assert [o.inbound_id for o in outcomes] == ids
    with app.sessions() as session:
        rows = {row.id: row for row in session.scalars(select(InboundMessage))}
        assert [rows[i].status for i in ids] == [o.status for o in outcomes]
        assert all(o.status != InboundStatus.RECEIVED for o in outcomes)
        assert [rows[i].processed_at is not None for i in ids] == [True] * len(ids)
        answered = count(
            session, select(OutboundMessage).where(OutboundMessage.template.in_(REPLY_TEMPLATES)).subquery()
        )
    # processed again (another process, a retry): nothing changes, nothing is answered twice
    again = [process_inbound(app, i, NOW, rules) for i in ids]
    assert [o.status for o in again] == [o.status for o in outcomes]
    assert process_many(app, ids, NOW, rules) == outcomes
    with app.sessions() as session:
        assert (
            count(session, select(OutboundMessage).where(OutboundMessage.template.in_(REPLY_TEMPLATES)).subquery())
            == answered
        )


def test_the_parse_handed_on_by_store_many_changes_nothing(app: App, rules: RuleSet) -> None:
    def store(tag: str) -> list[StoreResult]:
        raws = [variant(name, f"{tag}{i}") for i, name in enumerate(NAMES)]
        with transaction(app.sessions) as session:
            return store_many(session, list(enumerate(raws)), Origin("imap"), now=NOW, config=app.config)

    shared, fresh, wrong = store("a"), store("b"), store("c")
    assert all(r.parsed is not None for r in shared)  # nothing to redact in these: each parse is handed on
    process_many(
        app, [r.inbound_id for r in shared], NOW, rules, already={r.inbound_id: r.parsed for r in shared if r.parsed}
    )
    process_many(app, [r.inbound_id for r in fresh], NOW, rules)
    other = shared[0].parsed  # another message's bytes and parse: not these messages', so not used
    assert other is not None
    process_many(
        app, [r.inbound_id for r in wrong], NOW, rules, already=dict.fromkeys((r.inbound_id for r in wrong), other)
    )

    def facts(row: InboundMessage) -> tuple[Any, ...]:
        u = row.understanding
        return (row.status, row.kind, row.intent, row.sender, row.subject, u["fields"], u["kind_reasons"], u["defects"])

    def seen(results: list[StoreResult]) -> list[tuple[Any, ...]]:
        with app.sessions() as session:
            return [facts(row) for r in results if (row := session.get(InboundMessage, r.inbound_id))]

    assert seen(shared) == seen(fresh) == seen(wrong)
    assert len(seen(shared)) == len(NAMES)


def test_a_poison_message_in_the_middle_of_a_batch_costs_only_itself(
    app: App, rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    poison_reader(monkeypatch, RuntimeError("the parser broke on this message"))
    ids = stored_ids(app, messages((2, b"X-Test-Poison: yes")))
    outcomes = process_many(app, ids, NOW, rules)
    assert [o.status == InboundStatus.QUARANTINED for o in outcomes] == [False, False, True, False, False]
    assert outcomes[2].folder == app.config.imap.quarantine_folder
    with app.sessions() as session:
        rows = {row.id: row for row in session.scalars(select(InboundMessage))}
        poison = rows[ids[2]]
        assert poison.status == InboundStatus.QUARANTINED and "parser broke" in (poison.error or "")
        assert poison.understanding in ({}, None) or "actions" not in poison.understanding  # its work undone
        ticket = session.scalars(select(Ticket).where(Ticket.inbound_id == poison.id)).one()
        assert "parser broke" in ticket.summary and "RuntimeError" in ticket.details["traceback"]
        for i in (0, 1, 3, 4):  # the others are processed and committed
            assert rows[ids[i]].status in (InboundStatus.PROCESSED, InboundStatus.REVIEW)
            assert rows[ids[i]].processed_at is not None


def test_a_temporary_failure_in_a_batch_is_one_more_attempt_until_quarantine(
    app: App, rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    poison_reader(monkeypatch, TransientError("the lookup service is down"))
    ids = stored_ids(app, messages((1, b"X-Test-Poison: yes")))
    attempts = app.config.inbound.max_attempts
    for attempt in range(1, attempts + 1):
        outcomes = process_many(app, ids, NOW, rules)
        expected = InboundStatus.QUARANTINED if attempt == attempts else InboundStatus.RECEIVED
        assert outcomes[1].status == expected
        assert outcomes[1].folder == folder_for(app.config, expected)
        with app.sessions() as session:
            row = session.get(InboundMessage, ids[1])
            assert row is not None and row.attempts == attempt and "lookup service" in (row.error or "")
    with app.sessions() as session:
        assert count(session, select(Ticket).where(Ticket.inbound_id == ids[1]).subquery()) == 1


def test_a_batch_that_fails_as_a_whole_is_processed_one_message_at_a_time(
    app: App, rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = stored_ids(app, messages())
    real = pipeline._process_rows

    def failing_commit(session: Session, app: App, now: Any, rules: Any, batch: Any) -> Any:
        outcomes = real(session, app, now, rules, batch)
        if len(batch.ids) == 1:  # one at a time: as it always was
            return outcomes
        session.flush()
        raise OperationalError("COMMIT", {}, Exception("connection reset"))

    monkeypatch.setattr(pipeline, "_process_rows", failing_commit)
    outcomes = process_many(app, ids, NOW, rules)
    assert [o.inbound_id for o in outcomes] == ids and all(o.status != InboundStatus.RECEIVED for o in outcomes)
    with app.sessions() as session:
        replies = list(session.scalars(select(OutboundMessage).where(OutboundMessage.template.in_(REPLY_TEMPLATES))))
        assert len({r.idempotency_key for r in replies}) == len(replies)  # the batch's work was undone, not doubled
        assert [session.get(InboundMessage, i).status for i in ids] == [o.status for o in outcomes]  # type: ignore[union-attr]
        tickets = list(session.scalars(select(Ticket)))
        assert len({t.inbound_id for t in tickets}) == len(tickets)


def test_a_batch_acts_in_one_go_with_the_numbers_and_counts_of_one_at_a_time(
    tmp_path: Path, db_url: str, engine: Engine, rules: RuleSet, caplog: pytest.LogCaptureFixture
) -> None:
    """Tickets numbered before their INSERT, quoted by their replies and audited under their numbers;
    the daily reply cap counted across the batch's own replies; and no falling back to one at a time."""
    app = create_app(make_config(tmp_path, db_url, inbound={"max_auto_replies_per_day": 2}), engine=engine)
    first = stored_ids(app, [eml("Una domanda qualsiasi.", sender="prima@example.org", mid="p0@x.org")])
    process_many(app, first, NOW, rules)  # a ticket numbered the usual way before the batch
    raws = [eml(f"Domanda numero {n} sul servizio.", sender="curioso@example.org", mid=f"q{n}@x.org") for n in range(4)]
    raws += [eml("Vorrei la fattura.", sender=f"altro{n}@example.org", mid=f"r{n}@x.org") for n in range(3)]
    with transaction(app.sessions) as session:
        ids = [
            r.inbound_id for r in store_many(session, list(enumerate(raws)), Origin("imap"), now=NOW, config=app.config)
        ]
    caplog.set_level("WARNING", logger="mailbot.act.pipeline")
    outcomes = process_many(app, ids, NOW, rules)
    assert "failed as a whole" not in caplog.text
    assert [o.status for o in outcomes] == [InboundStatus.REVIEW] * len(raws)
    with app.sessions() as session:
        tickets = list(session.scalars(select(Ticket).order_by(Ticket.id)))
        assert [t.id for t in tickets] == list(range(tickets[0].id, tickets[0].id + 1 + len(raws)))
        assert [t.inbound_id for t in tickets] == first + ids
        opened = session.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == "ticket.opened")).all()
        assert sorted(opened, key=int) == [str(t.id) for t in tickets]
        answers = list(session.scalars(select(OutboundMessage).where(OutboundMessage.template.in_(REPLY_TEMPLATES))))
        by_sender: dict[str, int] = {}
        for reply in answers:
            by_sender[reply.to_address] = by_sender.get(reply.to_address, 0) + 1
            inbound_id = reply.details["inbound_id"]
            ticket = next(t for t in tickets if t.inbound_id == inbound_id)
            assert str(ticket.id) in reply.body_text  # the number the reply quotes is its ticket's
        assert by_sender["curioso@example.org"] == 2  # the cap, though the batch flushed none of them
        assert len(answers) == 1 + 2 + 3
        capped = session.get_one(InboundMessage, ids[2]).understanding["actions"]["notes"]
        assert any("already 2 automatic replies today" in n for n in capped)


def test_replies_staged_in_a_batch_take_ids_beside_an_email_a_change_inserted(
    app: App, rules: RuleSet, caplog: pytest.LogCaptureFixture
) -> None:
    """A batch's automatic replies are staged under ids taken up front; a renewal applied in the same
    batch inserts its payment instructions at once (a SAVEPOINT), between two replies: every email
    keeps an id of its own, each reply is audited under its id, and nothing falls back."""
    with transaction(app.sessions) as session:
        customer = make_customer(session, kind=CustomerKind.PRIVATE, email="cliente@example.org")
        service = make_service(session, customer)
        ids = (customer.id, service.id, service.expires_on)
    token, _, _ = outbound_to(app, ids[0], "cliente@example.org", (Claim(ids[1], ids[2], "before_30"),))
    raws = [
        eml("Una domanda sul servizio.", sender="prima@example.org", mid="s0@x.org"),
        eml(
            "Buongiorno, vorrei rinnovare per 2 anni. Grazie",
            sender="cliente@example.org",
            mid="s1@x.org",
            to=f"rinnovi+{token}@example.it",
        ),
        eml("Vorrei la fattura.", sender="seconda@example.org", mid="s2@x.org"),
    ]
    caplog.set_level("WARNING", logger="mailbot.act.pipeline")
    outcomes = process_many(app, stored_ids(app, raws), NOW, rules)
    assert "failed as a whole" not in caplog.text
    assert [o.status for o in outcomes] == [InboundStatus.REVIEW, InboundStatus.PROCESSED, InboundStatus.REVIEW]
    with app.sessions() as session:
        emails = list(session.scalars(select(OutboundMessage).where(OutboundMessage.template != "expiry_reminder")))
        assert sorted(e.template for e in emails) == sorted(
            ["reply_received", "payment_instructions", "reply_renewal", "reply_received"]
        )
        replied = session.scalars(select(AuditEvent).where(AuditEvent.action == "inbound.replied")).all()
        assert sorted(int(e.details["outbound_id"]) for e in replied) == sorted(
            e.id for e in emails if e.template in REPLY_TEMPLATES
        )
        for event in replied:  # the id audited is the reply to that very message
            reply = session.get_one(OutboundMessage, int(event.details["outbound_id"]))
            assert reply.details["inbound_id"] == int(event.entity_id)


def test_a_batch_loads_the_services_and_orders_of_the_customers_it_changes_at_once(
    app: App, rules: RuleSet, caplog: pytest.LogCaptureFixture
) -> None:
    """Three customers asking for changes: their services (with products) and open orders (with
    services) are loaded by two queries for the batch, not one relationship at a time per message."""
    raws = []
    with transaction(app.sessions) as session:
        customers = [make_customer(session, kind=CustomerKind.PRIVATE, email=f"c{n}@example.org") for n in range(3)]
        for customer in customers:
            make_service(session, customer)
            make_service(session, customer)
        ids = [c.id for c in customers]
    for n, customer_id in enumerate(ids):
        token, _, _ = outbound_to(app, customer_id, f"c{n}@example.org", key=f"k{n}")
        raws.append(
            eml(
                "Vorrei disattivare il rinnovo automatico.",
                sender=f"c{n}@example.org",
                mid=f"a{n}@x.org",
                to=f"rinnovi+{token}@example.it",
            )
        )
    stored = stored_ids(app, raws)
    outcomes, statements = process_seeing_sql(app, stored, rules)
    assert "failed as a whole" not in caplog.text
    with app.sessions() as session:
        intents = [session.get_one(InboundMessage, i).intent for i in stored]
    assert intents == ["autorenew_off"] * 3 and len(outcomes) == 3
    from_service = [q for q, _ in statements if q.startswith("SELECT") and " FROM service" in q]
    assert len(from_service) == 1, from_service  # the batch's one selectin load


def _open_order_queries(app: App, stored: list[int], rules: RuleSet) -> tuple[list[Outcome], list[str]]:
    outcomes, statements = process_seeing_sql(app, stored, rules)
    return outcomes, [q for q, _ in statements if q.startswith("SELECT") and 'FROM "order"' in q]


def test_a_batch_asks_for_a_customers_open_orders_once(app: App, rules: RuleSet) -> None:
    """Three payment notices from one customer: the open orders are those the batch loaded up front,
    not a query per message (nothing was flushed in between, so a query would find the same)."""
    with transaction(app.sessions) as session:
        customer = make_customer(session, kind=CustomerKind.PRIVATE, email="paga@example.org")
        make_service(session, customer)
        customer_id = customer.id
    token, _, _ = outbound_to(app, customer_id, "paga@example.org")
    raws = [
        eml(
            f"Buongiorno, abbiamo effettuato il bonifico, CRO {n}2345678901.",
            sender="paga@example.org",
            mid=f"b{n}@x.org",
            to=f"rinnovi+{token}@example.it",
        )
        for n in range(3)
    ]
    outcomes, order_queries = _open_order_queries(app, stored_ids(app, raws), rules)
    with app.sessions() as session:
        intents = [session.get_one(InboundMessage, o.inbound_id).intent for o in outcomes]
    assert intents == ["payment_notice"] * 3
    assert len(order_queries) == 1, order_queries  # preload's


def test_an_order_a_batch_creates_is_seen_by_the_next_message_of_the_batch(app: App, rules: RuleSet) -> None:
    """A renewal applied in the batch creates an order (flushed); the same customer's next renewal
    request in the batch finds it awaiting payment and goes to a person, as one at a time it would."""
    with transaction(app.sessions) as session:
        customer = make_customer(session, kind=CustomerKind.PRIVATE, email="cliente@example.org")
        service = make_service(session, customer)
        ids = (customer.id, service.id, service.expires_on)
    token, _, _ = outbound_to(app, ids[0], "cliente@example.org", (Claim(ids[1], ids[2], "before_30"),))
    raws = [
        eml(
            "Buongiorno, vorrei rinnovare per 2 anni. Grazie",
            sender="cliente@example.org",
            mid=f"n{n}@x.org",
            to=f"rinnovi+{token}@example.it",
        )
        for n in range(2)
    ]
    outcomes, order_queries = _open_order_queries(app, stored_ids(app, raws), rules)
    assert [o.status for o in outcomes] == [InboundStatus.PROCESSED, InboundStatus.REVIEW]
    with app.sessions() as session:
        second = session.get_one(InboundMessage, outcomes[1].inbound_id).understanding["actions"]
        assert "already awaits payment" in str(second), second
    assert len(order_queries) == 1  # loaded once: the writer tells the loader of the order it made


def test_a_batch_writes_its_rows_with_one_update(app: App, rules: RuleSet) -> None:
    """Messages that change different columns of their rows (matched or not, a subject or none, a card
    number...) are all written by one executemany UPDATE, not one UPDATE per run of alike rows."""
    with transaction(app.sessions) as session:
        customer = make_customer(session, kind=CustomerKind.PRIVATE, email="cliente@example.org")
        customer_id = customer.id
    token, _, _ = outbound_to(app, customer_id, "cliente@example.org")
    raws = [
        *messages(),
        eml("Vorrei la fattura.", sender="cliente@example.org", mid="u1@x.org", to=f"rinnovi+{token}@example.it"),
        eml("La carta 4111 1111 1111 1111 va cambiata.", sender="altro@example.org", mid="u2@x.org"),
    ]
    stored = stored_ids(app, raws)
    outcomes, statements = process_seeing_sql(app, stored, rules)
    updates = [(q, many) for q, many in statements if q.startswith("UPDATE inbound_message")]
    assert len(outcomes) == len(raws)
    with app.sessions() as session:
        rows = [session.get_one(InboundMessage, i) for i in stored]
        assert {r.customer_id for r in rows} == {customer_id, None} and any(r.card_number_detected for r in rows)
        assert all(r.status != InboundStatus.RECEIVED and r.processed_at is not None for r in rows)
    assert [many for _, many in updates] == [True], updates


def test_a_pec_changed_in_a_batch_matches_the_rest_of_the_batch_with_one_look_up(app: App, rules: RuleSet) -> None:
    """A verified billing update applied in the batch gives the customer a new PEC: the messages after
    it are matched again, all together, and those from the new PEC find the customer."""
    with transaction(app.sessions) as session:
        customer = make_customer(session, kind=CustomerKind.COMPANY, email="info@rossisrl.example.it")
        customer_id = customer.id
    token, _, _ = outbound_to(app, customer_id, "info@rossisrl.example.it")
    update = (
        "Buongiorno,\nvi chiediamo di aggiornare i dati di fatturazione:\nP.IVA 01234560017\n"
        "PEC: amministrazione@pec.rossisrl.it\nCodice destinatario: M5UXCR1\n\nGrazie\n"
    )
    raws = [
        eml("Una domanda qualsiasi.", sender="amministrazione@pec.rossisrl.it", mid="v0@x.org"),
        eml(update, sender="info@rossisrl.example.it", mid="v1@x.org", to=f"rinnovi+{token}@example.it"),
        *[eml(f"Vorrei la fattura {n}.", sender="amministrazione@pec.rossisrl.it", mid=f"v{n}@x.org") for n in (2, 3)],
    ]
    stored = stored_ids(app, raws)
    outcomes, statements = process_seeing_sql(app, stored, rules)
    lookups = [q for q, _ in statements if "lower(customer.email)" in q]
    assert outcomes[1].status == InboundStatus.PROCESSED  # applied
    with app.sessions() as session:
        assert session.get_one(Customer, customer_id).pec == "amministrazione@pec.rossisrl.it"
        found = [session.get_one(InboundMessage, i) for i in stored]
        assert [(r.customer_id, r.match_method) for r in found] == [
            (None, None),
            (customer_id, "token"),
            (customer_id, "sender"),
            (customer_id, "sender"),
        ]
    assert len(lookups) == 2  # the batch's, then the rest's once


def test_the_services_of_the_emails_a_batch_answers_are_loaded_at_once(app: App, rules: RuleSet) -> None:
    """Customers answering reminders about one of their two services: the services each email was
    about are read for the whole batch by one query, and each change is about that service."""
    raws, claimed = [], []
    for n in range(3):
        with transaction(app.sessions) as session:
            customer = make_customer(session, kind=CustomerKind.PRIVATE, email=f"r{n}@example.org")
            make_service(session, customer, autorenew=True, payment_method=PaymentMethod.CARD)
            service = make_service(session, customer, autorenew=True, payment_method=PaymentMethod.CARD)
            ids = (customer.id, service.id, service.expires_on)
        claimed.append(ids[1])
        token, _, _ = outbound_to(app, ids[0], f"r{n}@example.org", (Claim(ids[1], ids[2], "before_30"),), key=f"c{n}")
        raws.append(
            eml(
                "Vorrei disattivare il rinnovo automatico.",
                sender=f"r{n}@example.org",
                mid=f"w{n}@x.org",
                to=f"rinnovi+{token}@example.it",
            )
        )
    stored = stored_ids(app, raws)
    _, statements = process_seeing_sql(app, stored, rules)
    claims = [q for q, _ in statements if "FROM reminder_claim" in q]
    with app.sessions() as session:
        rows = [session.get_one(InboundMessage, i) for i in stored]
        assert [(r.intent, r.status) for r in rows] == [("autorenew_off", InboundStatus.PROCESSED)] * 3
        still_on = set(session.scalars(select(Service.id).where(Service.autorenew.is_(True))))
    assert not still_on & set(claimed) and len(still_on) == 3  # each email's own service switched off
    assert len(claims) == 1, claims


def test_a_failure_while_acting_redoes_the_batch_one_message_at_a_time(
    app: App, rules: RuleSet, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = pipeline._write

    def write(writer: Any, item: Any, *args: Any) -> Any:
        if item.row.message_id == "m2@batch.example.org":
            raise RuntimeError("acting broke on this message")
        return real(writer, item, *args)

    monkeypatch.setattr(pipeline, "_write", write)
    ids = stored_ids(app, messages())
    outcomes = process_many(app, ids, NOW, rules)
    assert "failed as a whole (RuntimeError: acting broke" in caplog.text
    assert [o.status == InboundStatus.QUARANTINED for o in outcomes] == [False, False, True, False, False]
    with app.sessions() as session:
        poison = session.get_one(InboundMessage, ids[2])
        assert "acting broke" in (poison.error or "") and "actions" not in (poison.understanding or {})
        tickets = list(session.scalars(select(Ticket)))
        assert len({t.inbound_id for t in tickets}) == len(tickets)  # the batch's first try left nothing
        assert [t.inbound_id for t in tickets if t.inbound_id == ids[2]] == [ids[2]]
        replies = list(session.scalars(select(OutboundMessage).where(OutboundMessage.template.in_(REPLY_TEMPLATES))))
        assert len({r.idempotency_key for r in replies}) == len(replies)


def test_a_stop_ends_the_batch_and_leaves_the_rest_received(app: App, rules: RuleSet) -> None:
    ids = stored_ids(app, messages())
    seen: list[int] = []

    def stop_after_two() -> bool:
        seen.append(1)
        return len(seen) > 2

    outcomes = process_many(app, ids, NOW, rules, should_stop=stop_after_two)
    assert len(outcomes) == 2
    with app.sessions() as session:
        statuses = [session.get(InboundMessage, i).status for i in ids]  # type: ignore[union-attr]
    assert statuses[2:] == [InboundStatus.RECEIVED] * 3
    assert all(s != InboundStatus.RECEIVED for s in statuses[:2])


def test_a_missing_id_in_a_batch_is_answered_as_process_inbound_does(app: App, rules: RuleSet) -> None:
    ids = stored_ids(app, messages()[:2])
    outcomes = process_many(app, [ids[0], 9999, ids[1]], NOW, rules)
    assert outcomes[1] == process_inbound(app, 9999, NOW, rules)
    assert outcomes[1].status == InboundStatus.QUARANTINED
    assert outcomes[0].status != InboundStatus.RECEIVED and outcomes[2].status != InboundStatus.RECEIVED


# the IMAP listener's batches -------------------------------------------------------------------


@imap_only
def test_a_batch_whose_store_commit_fails_moves_nothing_and_is_taken_whole_next_time(
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app(tmp_path, db_url, engine, server)
    server.append(messages())
    real = store.store_many

    def store_then_fail(session: Session, *args: Any, **kw: Any) -> Any:
        real(session, *args, **kw)
        session.flush()
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))  # the COMMIT fails

    with monkeypatch.context() as patched:
        patched.setattr(connection_module, "store_many", store_then_fail)
        with pytest.raises(OperationalError):
            drain_mailbox(app, rules)
    assert rows(app) == []  # nothing stored...
    assert server.uids("INBOX") == [1, 2, 3, 4, 5]  # ...and nothing moved
    assert all(server.uids(folder) == [] for folder in FOLDERS)

    counters = drain_mailbox(app, rules)
    assert (counters.stored, counters.processed, counters.duplicates) == (5, 5, 0)
    assert_each_in_its_folder(app, server)


@imap_only
def test_a_poison_message_in_the_middle_of_a_fetched_batch(
    server: DovecotServer,
    tmp_path: Path,
    db_url: str,
    engine: Engine,
    rules: RuleSet,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    poison_reader(monkeypatch, RuntimeError("the parser broke on this message"))
    app = make_app(tmp_path, db_url, engine, server)
    server.append(messages((2, b"X-Test-Poison: yes")))
    counters = drain_mailbox(app, rules)
    assert (counters.stored, counters.processed) == (5, 5)
    found = rows(app)
    assert [row.status == InboundStatus.QUARANTINED for row in found] == [False, False, True, False, False]
    assert server.uids("mailbot/quarantine") == [1]
    assert_each_in_its_folder(app, server)


def test_the_log_line_of_an_unmatched_message_says_so(
    app: App, rules: RuleSet, caplog: pytest.LogCaptureFixture
) -> None:
    stored = stored_ids(app, [eml("Una domanda qualsiasi.", sender="nessuno@example.org", mid="log1@x.org")])
    caplog.set_level("INFO", logger="mailbot.act.pipeline")
    process_many(app, stored, NOW, rules)
    assert f"inbound id {stored[0]} (log1@x.org): human other via no match -> review" in caplog.text
