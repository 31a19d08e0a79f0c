"""What importing a statement does with each line, planned as values: which lines pay, which go to
staff and with what to do, which were imported before, and what a dry run reports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from mailbot.billing.reconcile import OpenOrder, Outcome
from mailbot.billing.statement_plan import ALREADY_IMPORTED, Books, LineStep, plan_lines, preview
from mailbot.billing.statements import Statement, StatementLine, parse_statements

FILES = Path(__file__).parent / "statements"
BPM = parse_statements((FILES / "camt053_001_02_bpm.xml").read_bytes(), "bpm.xml")
ORDERS = (
    OpenOrder("ORD-2026-000123", "Rossi Mario S.r.l.", 122000),  # paid in full
    OpenOrder("ORD-2026-000124", "Comune di Vigevano", 50000),  # split payment: the net amount is due
    OpenOrder("ORD-2026-000125", "Studio Bianchi Associati", 36600),  # pays 244.00: partial
    OpenOrder("ORD-2026-000126", "Verdi Anna", 4880),  # pays 61.00: excess
)


def books(*orders: OpenOrder, closed: frozenset[str] = frozenset(), keys: frozenset[str] = frozenset()) -> Books:
    ids = {order.number: n for n, order in enumerate(orders, 1)}
    return Books(tuple(orders), closed, ids, keys)


def plan(statements: tuple[Statement, ...], on: Books) -> tuple[LineStep, ...]:
    return plan_lines(statements, on, currency="EUR")


def statement(*lines: StatementLine) -> tuple[Statement, ...]:
    return (Statement("s.xml", "camt.053.001.08", "IT02X", "S1", "EUR", None, None, lines),)


def credit(amount: int, remittance: str, key: str, payer: str = "Bianchi Luca", currency: str = "EUR") -> StatementLine:
    day = date(2026, 3, 6)
    return StatementLine(day, day, amount, currency, remittance, payer, "IT60X", "REF" + key, key, f"entry {key}")


def test_each_line_of_an_italian_statement_pays_or_is_ignored() -> None:
    steps = plan(BPM, books(*ORDERS))
    kinds = [(s.outcome.kind, s.outcome.order_number, s.pays) for s in steps]
    assert kinds == [
        (Outcome.PAID, "ORD-2026-000123", True),
        (Outcome.PAID, "ORD-2026-000124", True),
        (Outcome.DEBIT, None, False),
        (Outcome.PARTIAL, "ORD-2026-000125", True),
        (Outcome.EXCESS, "ORD-2026-000126", True),
    ]
    # partial and excess payments get their ticket from record_payment, not from the plan
    assert [s.staff_summary for s in steps] == [""] * 5
    assert steps[0].details["payer"] == "ROSSI MARIO S.R.L." and steps[0].details["reference"] == "0305BPM0012345601"
    assert steps[0].details["where"] == "statement 0503401633-20260305-045, entry 1"
    assert steps[0].details["account"] == "IT02X0503401633000000012345"


def test_a_dry_run_reports_what_would_be_done() -> None:
    report = preview("bpm.xml", plan(BPM, books(*ORDERS)))
    assert report.summary() == "5 lines: 2 paid, 2 for staff, 0 already imported, 1 ignored"
    assert [r.completed for r in report.results] == [True, True, False, False, True]
    assert not report.applied and all(r.payment_id is None and r.ticket_id is None for r in report.results)


def test_lines_for_staff_say_what_staff_must_do() -> None:
    lines = (
        credit(12200, "Rinnovo abbonamento portale impianti", "a"),  # no order: unmatched
        credit(50000, "ORD-2026-000123", "b"),  # paid
        credit(50000, "ORD-2026-000123 bis", "c"),  # the same amount again: duplicate
        credit(1000, "ORD-2026-000123", "d"),  # another amount after it was paid: excess applying nothing
        credit(9900, "ORD-2026-000099", "e"),  # an order no longer open
        credit(9900, "ORD-2026-000124", "f", currency="USD"),  # another currency
    )
    on = books(OpenOrder("ORD-2026-000123", "Rossi", 50000), closed=frozenset({"ORD-2026-000099"}))
    unmatched, paid, duplicate, excess, closed, dollars = plan(statement(*lines), on)
    assert paid.pays and not paid.staff_summary
    assert not any(s.pays for s in (unmatched, duplicate, excess, closed, dollars))
    assert unmatched.staff_summary == (
        'Bank transfer 122.00 EUR booked 2026-03-06 from Bianchi Luca, "Rinnovo abbonamento portale impianti": '
        "it matches no order (no order number, and no open order of this amount and payer). Find the order and "
        "record the payment with 'mailbot payments record ORDER --method bank_transfer', or return the money."
    )
    assert "order ORD-2026-000123 was paid in full by an earlier line of the same amount" in duplicate.staff_summary
    assert "order ORD-2026-000123 was paid in full by an earlier line. Return the money" in excess.staff_summary
    assert "order ORD-2026-000099 is no longer open" in closed.staff_summary
    assert "in USD, the orders are in EUR" in dollars.staff_summary
    report = preview("s.xml", plan(statement(*lines), on))
    assert report.summary() == "6 lines: 1 paid, 5 for staff, 0 already imported, 0 ignored"


def test_a_long_remittance_is_cut_in_the_summary() -> None:
    (step,) = plan(statement(credit(100, "x" * 200, "a", payer="")), books())
    assert 'from an unnamed payer, "' + "x" * 67 + '...": it matches no order' in step.staff_summary


def test_lines_imported_before_do_nothing() -> None:
    first = plan(BPM, books(*ORDERS))
    again = plan(BPM, books(*ORDERS).after(first))
    assert all(s.already_imported and not s.pays and not s.staff_summary for s in again)
    report = preview("bpm.xml", again)
    assert report.summary() == "5 lines: 0 paid, 0 for staff, 5 already imported, 0 ignored"
    assert {r.status for r in report.results} == {ALREADY_IMPORTED}


def test_a_statement_given_twice_in_one_file_applies_once() -> None:
    steps = plan(BPM + BPM, books(*ORDERS))
    assert [s.already_imported for s in steps] == [False] * 5 + [True] * 5
    assert sum(s.pays for s in steps) == 4


def test_the_books_after_a_plan_know_what_it_paid() -> None:
    after = books(*ORDERS).after(plan(BPM, books(*ORDERS)))
    assert after.closed_orders == {"ORD-2026-000123", "ORD-2026-000124", "ORD-2026-000126"}
    assert after.open_orders == (OpenOrder("ORD-2026-000125", "Studio Bianchi Associati", 36600, 24400),)
    assert after.imported_keys == {line.key for line in BPM[0].lines}
    (rest,) = plan(statement(credit(12200, "saldo ORD-2026-000125", "z")), after)
    assert (rest.outcome.kind, rest.pays) == (Outcome.PAID, True)


@given(
    st.lists(
        st.tuples(st.integers(-5000, 20000), st.sampled_from(["", "ORD-2026-000001", "ORD-2026-000002"])),
        max_size=12,
    ),
    st.integers(1, 20000),
    st.integers(1, 20000),
)
def test_every_line_is_paid_for_staff_imported_before_or_ignored_and_no_order_gets_more_than_due(
    lines: list[tuple[int, str]], due_one: int, due_two: int
) -> None:
    statements = statement(*(credit(amount, text, str(n % 5)) for n, (amount, text) in enumerate(lines)))
    on = books(OpenOrder("ORD-2026-000001", "Bianchi Luca", due_one), OpenOrder("ORD-2026-000002", "Rossi", due_two))
    steps = plan(statements, on)
    report = preview("s.xml", steps)
    assert report.paid + report.for_staff + report.already_imported + report.ignored == len(lines)
    assert report.ignored == sum(1 for s in steps if s.outcome.kind is Outcome.DEBIT)
    for step in steps:  # a line pays, or has a ticket (its own or record_payment's), or nothing is asked
        ticketed = bool(step.staff_summary) or (step.pays and step.outcome.kind is not Outcome.PAID)
        assert not (step.staff_summary and step.pays)
        assert ticketed == (not step.already_imported and step.outcome.is_for_staff)
    for order in on.open_orders:
        applied = sum(s.outcome.applied_cents for s in steps if s.pays and s.outcome.order_number == order.number)
        assert applied <= order.due_cents
