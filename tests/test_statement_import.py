"""Bank statements imported on the real database (SQLite, and PostgreSQL with
``MAILBOT_TEST_DATABASE_URL``): orders paid and completed with their confirmation, split payment's net
amount paid in full, partial and excess payments and unmatched lines for staff with the line, debits
kept; the same file or an overlapping statement applying nothing twice; a broken file writing nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.billing import statement_import
from mailbot.billing.payments import PaymentIn, Recorded, record_payment
from mailbot.billing.statement_plan import ImportReport
from mailbot.billing.statements import parse_statements
from mailbot.db.engine import transaction
from mailbot.db.models import AuditEvent, Order, OutboundMessage, Payment, StatementLine, Ticket
from mailbot.domain import OrderStatus, PaymentMethod, PaymentSource
from mailbot.errors import InputError
from mailbot.orders import cancel_order
from tests.support.statements import ORDERED, counts, make_bpm_orders, make_numbered_order

FILES = Path(__file__).parent / "statements"
IMPORTED = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)


def import_file(app: App, name: str, data: bytes | None = None) -> ImportReport:
    with transaction(app.sessions) as session:
        data = (FILES / name).read_bytes() if data is None else data
        return statement_import.import_statement(session, app, data, name, now=IMPORTED, actor="staff:anna")


def confirmations(session: Session, order_id: int) -> list[OutboundMessage]:
    query = select(OutboundMessage).where(
        OutboundMessage.order_id == order_id, OutboundMessage.template == "payment_confirmation"
    )
    return list(session.scalars(query))


@pytest.fixture
def bpm_orders(app: App) -> dict[str, int]:
    with transaction(app.sessions) as session:
        return make_bpm_orders(session, app)


def test_an_italian_statement_pays_completes_and_tells_staff(app: App, bpm_orders: dict[str, int]) -> None:
    report = import_file(app, "camt053_001_02_bpm.xml")
    assert report.summary() == "5 lines: 2 paid, 2 for staff, 0 already imported, 1 ignored"
    assert [(r.status, r.order_number, r.completed) for r in report.results] == [
        ("paid", "ORD-2026-000123", True),
        ("paid", "ORD-2026-000124", True),
        ("debit", None, False),
        ("partial", "ORD-2026-000125", False),
        ("excess", "ORD-2026-000126", True),
    ]
    with app.sessions() as session:
        rossi, pa, studio, verdi = (session.get(Order, bpm_orders[f"ORD-2026-00012{n}"]) for n in (3, 4, 5, 6))
        assert rossi is not None and pa is not None and studio is not None and verdi is not None
        assert [o.status for o in (rossi, pa, studio, verdi)] == [OrderStatus.PAID] * 2 + [
            OrderStatus.AWAITING_PAYMENT,
            OrderStatus.PAID,
        ]
        assert [s.expires_on for s in rossi.services] == [date(2027, 12, 31)]
        assert (pa.split_payment, pa.total_cents, pa.due_cents) == (True, 61000, 50000)
        for order in (rossi, pa, verdi):
            assert len(confirmations(session, order.id)) == 1
        assert confirmations(session, studio.id) == []
        payments = session.scalars(select(Payment).order_by(Payment.id)).all()
        assert [(p.order_id, p.amount_cents) for p in payments] == [
            (rossi.id, 122000),
            (pa.id, 50000),
            (studio.id, 24400),
            (verdi.id, 6100),
        ]
        first = payments[0]
        assert (first.method, first.source, first.paid_on) == (
            PaymentMethod.BANK_TRANSFER,
            PaymentSource.STATEMENT,
            date(2026, 3, 5),
        )
        assert (first.reference, first.line_key) == ("0305BPM0012345601", report.results[0].line.key)
        lines = session.scalars(select(StatementLine).order_by(StatementLine.id)).all()
        assert [line.outcome for line in lines] == ["paid", "paid", "debit", "partial", "excess"]
        assert [line.order_id for line in lines] == [rossi.id, pa.id, None, studio.id, verdi.id]
        assert lines[0].payment_id == first.id and lines[0].source == "camt053_001_02_bpm.xml"
        assert lines[2].details["remittance"] == "COMMISSIONI SU BONIFICI IN ENTRATA" and lines[2].amount_cents == -250
        assert lines[3].details["payer"] == "Studio Bianchi Associati"
        tickets = {t.order_id: t for t in session.scalars(select(Ticket))}
        assert set(tickets) == {studio.id, verdi.id}
        assert "less than due" in tickets[studio.id].summary and "more than due" in tickets[verdi.id].summary
        assert tickets[studio.id].details["statement_line"]["remittance"] == "Saldo ORD 2026 125 archivio documentale"
        assert tickets[studio.id].details["note"].startswith("statement line: 244.00 EUR booked 2026-03-05")
        assert lines[3].ticket_id == tickets[studio.id].id and lines[0].ticket_id is None
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "statement.imported")).one()
        assert audit.details == {"lines": 5, "paid": 2, "for_staff": 2, "ignored": 1}


def test_importing_the_same_file_again_changes_nothing(app: App, bpm_orders: dict[str, int]) -> None:
    import_file(app, "camt053_001_02_bpm.xml")
    before = counts(app)
    again = import_file(app, "camt053_001_02_bpm.xml")
    assert again.summary() == "5 lines: 0 paid, 0 for staff, 5 already imported, 0 ignored"
    assert counts(app) == before


def test_unmatched_lines_go_to_staff_with_the_line(app: App) -> None:
    with transaction(app.sessions) as session:
        luca = make_numbered_order(session, app, 7, "Luca Bianchi", 12200)
        luca_id = luca.id
    report = import_file(app, "camt053_001_08_isp.xml")
    assert [(r.status, r.order_number) for r in report.results] == [
        ("paid", luca.number),  # no order number: by amount and payer
        ("unmatched", None),  # the same transfer again: no open order of this amount and payer now
        ("unmatched", None),  # ORD-2026-000128 is no order of ours
        ("debit", None),
    ]
    assert report.summary() == "4 lines: 1 paid, 2 for staff, 0 already imported, 1 ignored"
    with app.sessions() as session:
        assert len(session.scalars(select(Payment)).all()) == 1
        twice, unmatched = session.scalars(select(Ticket).order_by(Ticket.id)).all()
        assert (twice.order_id, twice.customer_id, twice.intent) == (None, None, "statement_line")
        assert twice.summary.startswith('Bank transfer 122.00 EUR booked 2026-03-06 from Bianchi Luca, "Rinnovo')
        assert "no open order of this amount and payer" in twice.summary
        assert (unmatched.order_id, unmatched.customer_id) == (None, None)
        assert "names ORD-2026-000128, not a known order" in unmatched.summary
        assert "mailbot payments record ORDER" in unmatched.summary
        assert unmatched.details["statement_line"]["payer_iban"] == "IT86S0306909606100000063527"
        assert unmatched.details["statement_line"]["reference"] == "ISP0306A77120045"
        assert unmatched.details["outcome"] == "unmatched"
        lines = session.scalars(select(StatementLine).order_by(StatementLine.id)).all()
        assert [line.ticket_id for line in lines] == [None, twice.id, unmatched.id, None]
        assert lines[0].order_id == luca_id and lines[1].order_id is None and lines[1].payment_id is None


SECOND_PAYMENTS = b"""\
:20:TEST0310
:25:IT02X0503401633000000012345
:28C:1/1
:60F:C260309EUR0,00
:61:2603100310C1220,00NTRFNONREF//CRO1
:86:SALDO ORD-2026-000123
:61:2603100310C1220,00NTRFNONREF//CRO2
:86:SALDO ORD-2026-000123
:61:2603100310C50,00NTRFNONREF//CRO3
:86:SPESE ORD-2026-000123
:61:2603100310C99,00NTRFNONREF//CRO4
:86:RINNOVO ORD-2026-000124
:61:2603100310C100,00NTRFNONREF//CRO5
:86:ACCONTO ORD-2026-000125
:62F:C260310EUR2689,00
-
"""


def test_money_for_an_order_already_paid_goes_to_staff_with_its_order(app: App) -> None:
    with transaction(app.sessions) as session:
        rossi = make_numbered_order(session, app, 123, "Rossi Mario S.r.l.", 122000)
        cancelled = make_numbered_order(session, app, 124, "Gialli Sara", 12200)
        cancel_order(session, cancelled, ORDERED, "staff:anna", "asked by the customer")
        told = make_numbered_order(session, app, 125, "Neri Paolo", 36600)
        by_hand = PaymentIn(10000, PaymentMethod.BANK_TRANSFER, date(2026, 3, 10), PaymentSource.STAFF, "CRO5")
        record_payment(session, app, told, by_hand, now=ORDERED, actor="staff:anna")
        ids = {order.number: (order.id, order.customer_id) for order in (rossi, cancelled, told)}
    report = import_file(app, "second_payments.sta", SECOND_PAYMENTS)
    assert [(r.status, r.order_number, r.payment_id is not None) for r in report.results] == [
        ("paid", rossi.number, True),
        ("duplicate", rossi.number, False),  # the same amount again: sent twice
        ("excess", rossi.number, False),  # more after it was paid: applies nothing
        ("already_paid", cancelled.number, False),
        ("already_recorded", told.number, False),  # staff recorded this transfer by hand, reference CRO5
    ]
    assert report.summary() == "5 lines: 1 paid, 4 for staff, 0 already imported, 0 ignored"
    with app.sessions() as session:
        ours = select(Ticket).where(Ticket.intent == "statement_line").order_by(Ticket.id)
        tickets = session.scalars(ours).all()
        assert [(t.order_id, t.customer_id) for t in tickets] == [ids[rossi.number]] * 2 + [
            ids[cancelled.number],
            ids[told.number],
        ]
        twice, more, closed, recorded = (t.summary for t in tickets)
        assert "paid in full by an earlier line of the same amount: most likely one transfer sent twice" in twice
        assert "Return the money or keep it as the customer's credit" in more
        assert f"order {cancelled.number} is no longer open" in closed
        assert f"a payment with the same reference (CRO5) is already recorded for order {told.number}" in recorded
        assert session.scalar(select(func.count()).select_from(Payment)) == 2  # by hand, and the first line


def test_an_overlapping_statement_applies_only_its_new_lines(app: App) -> None:
    with transaction(app.sessions) as session:
        for seq, name, due in ((140, "Neri Paolo", 5000), (141, "Gialli Sara", 4500), (142, "Verdi Anna", 7000)):
            make_numbered_order(session, app, seq, name, due, split=True)
    first = import_file(app, "camt053_overlap_0302_0303.xml")
    assert first.summary() == "4 lines: 2 paid, 2 for staff, 0 already imported, 0 ignored"
    second = import_file(app, "camt053_overlap_0303_0304.xml")
    assert [(r.status, r.order_number) for r in second.results] == [
        ("already_imported", None),
        ("already_imported", None),
        ("already_imported", None),
        ("paid", "ORD-2026-000142"),
    ]
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 3
        assert session.scalar(select(func.count()).select_from(StatementLine)) == 5
        assert session.scalar(select(func.count()).select_from(Ticket)) == 2  # the two unmatched of 3 March


def test_mt940_files_of_an_italian_and_a_german_bank(app: App) -> None:
    with transaction(app.sessions) as session:
        make_numbered_order(session, app, 123, "Rossi Mario S.r.l.", 122000)
        make_numbered_order(session, app, 129, "Neri Paolo", 36600)
        make_numbered_order(session, app, 130, "Mustermann GmbH", 45000, split=True)
    italian = import_file(app, "mt940_cbi.sta")
    assert [(r.line.amount_cents, r.status, r.order_number) for r in italian.results] == [
        (122000, "paid", "ORD-2026-000123"),  # "ORD\n-2026-000123": the line cut by the bank
        (-250, "debit", None),
        (30000, "partial", "ORD-2026-000129"),
    ]
    german = import_file(app, "mt940_german.sta")  # two statements, one a day
    assert [(r.line.amount_cents, r.status, r.order_number) for r in german.results] == [
        (45000, "paid", "ORD-2026-000130"),
        (-1990, "debit", None),
        (8000, "unmatched", None),
    ]
    assert german.summary() == "3 lines: 1 paid, 1 for staff, 0 already imported, 1 ignored"
    with app.sessions() as session:
        rossi = session.scalars(select(Payment).where(Payment.amount_cents == 122000)).one()
        assert (rossi.reference, rossi.paid_on) == ("0309CRO4511223", date(2026, 3, 9))
        unmatched = session.scalars(select(Ticket).where(Ticket.intent == "statement_line")).one()
        assert "from Beispiel & Partner mbB" in unmatched.summary
    before = counts(app)
    assert import_file(app, "mt940_cbi.sta").already_imported == 3
    assert import_file(app, "mt940_german.sta").already_imported == 3
    assert counts(app) == before


def test_two_imports_of_one_file_at_once_apply_it_once(app: App, bpm_orders: dict[str, int]) -> None:
    start = threading.Barrier(2)
    reports: list[ImportReport] = []

    def importer() -> None:
        start.wait()
        reports.append(import_file(app, "camt053_001_02_bpm.xml"))

    threads = [threading.Thread(target=importer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(r.summary() for r in reports) == [
        "5 lines: 0 paid, 0 for staff, 5 already imported, 0 ignored",
        "5 lines: 2 paid, 2 for staff, 0 already imported, 1 ignored",
    ]
    assert counts(app)["payment"] == 4 and counts(app)["statement_line"] == 5


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("camt053_entity_bomb.xml", "camt053_entity_bomb.xml: the XML declares a DTD"),
        ("camt053_wrong_amounts.xml", "camt053_wrong_amounts.xml: statement"),
        ("mt940_truncated.sta", "mt940_truncated.sta: "),
    ],
)
def test_a_broken_file_writes_nothing(app: App, bpm_orders: dict[str, int], name: str, message: str) -> None:
    before = counts(app)
    with pytest.raises(InputError) as error:
        import_file(app, name)
    assert str(error.value).startswith(message)
    assert counts(app) == before


def test_a_failure_half_way_applies_nothing(
    app: App, bpm_orders: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    real: Callable[..., Recorded] = record_payment
    calls: list[int] = []

    def fails_second(*args: Any, **kw: Any) -> Recorded:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(*args, **kw)

    monkeypatch.setattr("mailbot.billing.statement_import.record_payment", fails_second)
    before = counts(app)
    with pytest.raises(RuntimeError):
        import_file(app, "camt053_001_02_bpm.xml")
    assert counts(app) == before  # the first line's payment, email and row are gone with the rest


def test_a_dry_run_of_overlapping_files_plans_each_line_once(app: App) -> None:
    with transaction(app.sessions) as session:
        make_numbered_order(session, app, 142, "Verdi Anna", 7000, split=True)
    before = counts(app)
    files = [
        (name, parse_statements((FILES / name).read_bytes(), name))
        for name in ("camt053_overlap_0302_0303.xml", "camt053_overlap_0303_0304.xml")
    ]
    with app.sessions() as session:
        first, second = statement_import.preview_statements(session, files, currency="EUR")
    assert first.summary() == "4 lines: 0 paid, 4 for staff, 0 already imported, 0 ignored"
    assert second.summary() == "4 lines: 1 paid, 0 for staff, 3 already imported, 0 ignored"
    assert counts(app) == before
