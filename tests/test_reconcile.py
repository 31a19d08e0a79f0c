"""Statement lines matched to orders: every outcome, split-payment net amounts, two lines for one
order, order numbers as banks and customers write them, payer names however spelt."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from mailbot.billing.reconcile import (
    LineOutcome,
    OpenOrder,
    Outcome,
    find_order_numbers,
    outcomes_for_staff,
    reconcile,
    same_name,
)
from mailbot.billing.statements import StatementLine, parse_statement

FILES = Path(__file__).parent / "statements"
ROSSI = OpenOrder("ORD-2026-000123", "Rossi Mario S.r.l.", due_cents=122000)


def line(amount: int, remittance: str = "", payer: str = "", key: str = "k1", currency: str = "EUR") -> StatementLine:
    day = date(2026, 3, 5)
    return StatementLine(day, day, amount, currency, remittance, payer, "", "", key, "statement S, entry 1")


def one(outcomes: tuple[LineOutcome, ...]) -> LineOutcome:
    (outcome,) = outcomes
    return outcome


def test_the_order_number_and_the_amount_due_make_a_paid_line() -> None:
    outcome = one(reconcile([line(122000, "Pagamento ordine ORD-2026-000123 CIG Z213346E34")], [ROSSI], set()))
    assert (outcome.kind, outcome.order_number, outcome.applied_cents) == (Outcome.PAID, ROSSI.number, 122000)
    assert (outcome.matched_by, outcome.excess_cents, outcome.is_for_staff) == ("reference", 0, False)


def test_less_than_due_is_partial_and_says_what_is_left() -> None:
    outcome = one(reconcile([line(60000, "acconto ORD-2026-000123")], [ROSSI], set()))
    assert (outcome.kind, outcome.applied_cents, outcome.note) == (Outcome.PARTIAL, 60000, "620.00 still due")
    assert outcome.is_for_staff


def test_the_rest_of_a_partly_paid_order_pays_it() -> None:
    order = OpenOrder(ROSSI.number, ROSSI.customer_name, due_cents=122000, received_cents=60000)
    assert one(reconcile([line(62000, "saldo ORD-2026-000123")], [order], set())).kind is Outcome.PAID


def test_more_than_due_is_excess_and_pays_the_order() -> None:
    outcome = one(reconcile([line(125000, "ORD-2026-000123")], [ROSSI], set()))
    assert (outcome.kind, outcome.applied_cents, outcome.excess_cents) == (Outcome.EXCESS, 122000, 3000)
    assert outcome.note == "30.00 more than the 1220.00 due"


def test_split_payment_the_net_amount_is_payment_in_full() -> None:
    # 500.00 net + 110.00 VAT: the administration pays 500.00 and the VAT to the State; the order is due 500.00
    order = OpenOrder("ORD-2026-000124", "Comune di Vigevano", due_cents=50000)
    (statement_line,) = [
        sl
        for sl in parse_statement((FILES / "camt053_001_02_bpm.xml").read_bytes(), "bpm.xml").lines
        if sl.payer_name == "COMUNE DI VIGEVANO"
    ]
    outcome = one(reconcile([statement_line], [order], set()))
    assert (outcome.kind, outcome.order_number, outcome.applied_cents) == (Outcome.PAID, order.number, 50000)


def test_split_payment_the_gross_amount_is_excess() -> None:
    order = OpenOrder("ORD-2026-000124", "Comune di Vigevano", due_cents=50000)
    outcome = one(reconcile([line(61000, "ORD-2026-000124", "COMUNE DI VIGEVANO")], [order], set()))
    assert (outcome.kind, outcome.excess_cents) == (Outcome.EXCESS, 11000)


def test_a_line_applied_before_is_a_duplicate_of_no_order() -> None:
    outcome = one(reconcile([line(122000, "ORD-2026-000123", key="acct/ref/X1")], [ROSSI], {"acct/ref/X1"}))
    assert (outcome.kind, outcome.order_number, outcome.applied_cents) == (Outcome.DUPLICATE, None, 0)
    assert outcome.note == "this bank line was dealt with before" and outcome.is_for_staff


def test_the_same_line_twice_in_one_call_is_applied_once() -> None:
    twice = [line(122000, "ORD-2026-000123", key="acct/ref/X1")] * 2
    first, second = reconcile(twice, [ROSSI], set())
    assert first.kind is Outcome.PAID
    assert (second.kind, second.order_number, second.note) == (Outcome.DUPLICATE, None, "given twice")


def test_a_second_payment_of_the_same_amount_is_a_duplicate_payment() -> None:
    first, second = reconcile(
        [line(122000, "ORD-2026-000123", key="a"), line(122000, "ORD-2026-000123", key="b")], [ROSSI], set()
    )
    assert first.kind is Outcome.PAID
    assert (second.kind, second.order_number, second.applied_cents) == (Outcome.DUPLICATE, ROSSI.number, 0)
    assert second.excess_cents == 122000 and second.is_for_staff


def test_a_second_payment_of_another_amount_after_the_order_is_paid_is_excess() -> None:
    first, second = reconcile(
        [line(122000, "ORD-2026-000123", key="a"), line(5000, "ORD-2026-000123", key="b")], [ROSSI], set()
    )
    assert first.kind is Outcome.PAID
    assert (second.kind, second.applied_cents, second.excess_cents) == (Outcome.EXCESS, 0, 5000)


def test_two_partial_lines_in_one_statement_pay_the_order_between_them() -> None:
    first, second = reconcile(
        [line(60000, "ORD-2026-000123", key="a"), line(62000, "ORD-2026-000123 saldo", key="b")], [ROSSI], set()
    )
    assert [first.kind, second.kind] == [Outcome.PARTIAL, Outcome.PAID]


def test_an_order_no_longer_open_gives_already_paid() -> None:
    paid_before = "ORD-2026-000099"
    outcome = one(reconcile([line(122000, paid_before)], [ROSSI], set(), closed_orders={paid_before}))
    assert (outcome.kind, outcome.order_number, outcome.applied_cents) == (Outcome.ALREADY_PAID, paid_before, 0)


def test_outgoing_money_is_a_debit_and_not_for_staff() -> None:
    outcome = one(reconcile([line(-250, "COMMISSIONI ORD-2026-000123")], [ROSSI], set()))
    assert (outcome.kind, outcome.order_number, outcome.is_for_staff) == (Outcome.DEBIT, None, False)


def test_unmatched_lines_say_why() -> None:
    cases = [
        (line(122000, "bonifico"), "no order number, and no open order of this amount and payer"),
        (line(0, "ORD-2026-000123"), "zero amount"),
        (line(122000, "ORD-2026-000123", currency="CHF"), "in CHF, the orders are in EUR"),
        (line(122000, "ORD-2026-000777"), "names ORD-2026-000777, not a known order; no order number, and no open"),
    ]
    for statement_line, note in cases:
        outcome = one(reconcile([statement_line], [ROSSI], set()))
        assert (outcome.kind, outcome.order_number) == (Outcome.UNMATCHED, None)
        assert outcome.note.startswith(note)
        assert outcome.is_for_staff


def test_a_line_naming_two_orders_is_for_staff_to_split() -> None:
    other = OpenOrder("ORD-2026-000124", "Rossi Mario S.r.l.", due_cents=5000)
    outcome = one(reconcile([line(127000, "ORD-2026-000123 e ORD-2026-000124")], [ROSSI, other], set()))
    assert outcome.kind is Outcome.UNMATCHED
    assert outcome.note == "names several orders: ORD-2026-000123, ORD-2026-000124"


def test_without_a_number_the_exact_amount_and_the_payer_find_the_one_order() -> None:
    other = OpenOrder("ORD-2026-000124", "Bianchi Luca", due_cents=122000)
    outcome = one(reconcile([line(122000, "rinnovo servizi", "ROSSI MARIO SRL")], [ROSSI, other], set()))
    assert (outcome.kind, outcome.order_number) == (Outcome.PAID, ROSSI.number)
    assert outcome.matched_by == "amount_and_payer"


def test_an_unknown_number_falls_back_to_amount_and_payer_and_says_so() -> None:
    outcome = one(reconcile([line(122000, "ORD-2026-000132", "Rossi Mario SRL")], [ROSSI], set()))
    assert (outcome.kind, outcome.order_number) == (Outcome.PAID, ROSSI.number)
    assert outcome.note == "names ORD-2026-000132, not a known order"


def test_amount_and_payer_match_nothing_when_two_orders_fit() -> None:
    twin = OpenOrder("ORD-2026-000150", "ROSSI MARIO SRL", due_cents=122000)
    outcome = one(reconcile([line(122000, "rinnovo", "Rossi Mario S.r.l.")], [ROSSI, twin], set()))
    assert outcome.kind is Outcome.UNMATCHED
    assert outcome.note == "open orders of this amount and payer: ORD-2026-000123, ORD-2026-000150"


def test_amount_and_payer_need_both() -> None:
    assert one(reconcile([line(122001, "rinnovo", "Rossi Mario Srl")], [ROSSI], set())).kind is Outcome.UNMATCHED
    assert one(reconcile([line(122000, "rinnovo", "Rossi Maria Srl")], [ROSSI], set())).kind is Outcome.UNMATCHED
    assert one(reconcile([line(122000, "rinnovo", "")], [ROSSI], set())).kind is Outcome.UNMATCHED


def test_two_identical_transfers_by_amount_and_payer_pay_once() -> None:
    order = OpenOrder("ORD-2026-000127", "Bianchi Luca", due_cents=12200)
    lines = parse_statement((FILES / "camt053_001_08_isp.xml").read_bytes(), "isp.xml").lines[:2]
    first, second = reconcile(lines, [order], set())
    assert (first.kind, first.matched_by) == (Outcome.PAID, "amount_and_payer")
    assert (second.kind, second.order_number) == (Outcome.UNMATCHED, None)  # nothing is left due: for staff


def test_a_whole_statement_and_its_import_again() -> None:
    statement = parse_statement((FILES / "mt940_cbi.sta").read_bytes(), "cbi.sta")
    orders = [ROSSI, OpenOrder("ORD-2026-000129", "Neri Paolo", due_cents=60000)]
    outcomes = reconcile(statement.lines, orders, set())
    assert [(o.kind, o.order_number) for o in outcomes] == [
        (Outcome.PAID, "ORD-2026-000123"),
        (Outcome.DEBIT, None),
        (Outcome.PARTIAL, "ORD-2026-000129"),
    ]
    assert [o.line.where for o in outcomes_for_staff(outcomes)] == ["statement 0503401633000047 47/1, line 12"]
    applied = {o.line.key for o in outcomes if o.applied_cents}
    again = reconcile(statement.lines, orders, applied)
    assert [o.kind for o in again] == [Outcome.DUPLICATE, Outcome.DEBIT, Outcome.DUPLICATE]
    assert sum(o.applied_cents for o in again) == 0


def test_an_order_given_twice_is_a_mistake_of_the_caller() -> None:
    with pytest.raises(ValueError, match="ORD-2026-000123 given twice"):
        reconcile([], [ROSSI, ROSSI], set())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pagamento ordine ORD-2026-000123 CIG Z213346E34", ["ORD-2026-000123"]),
        ("ord-2026-000123", ["ORD-2026-000123"]),
        ("ORD2026000123", ["ORD-2026-000123"]),
        ("rif. ORD 2026 123 rinnovo", ["ORD-2026-000123"]),
        ("ORD/2026/123", ["ORD-2026-000123"]),
        ("ORD.2026.000123", ["ORD-2026-000123"]),
        ("ORD-2026-0001 24 CIG", ["ORD-2026-000124"]),  # cut by the bank: only the reading without spaces
        ("PAGAMENTO ORDINE ORD\n-2026-000123", ["ORD-2026-000123"]),
        ("ORD-20 26-000123", ["ORD-2026-000123"]),
        ("ORD 2026 123 456,00 EUR", ["ORD-2026-000123", "ORD-2026-123456"]),  # both readings: known orders decide
        ("ORDINE 2026 123", []),
        ("RECORD-2026-000123", ["ORD-2026-000123"]),  # only without spaces, where a word may run into it
        ("ORD-2026-1234567", ["ORD-2026-123456"]),
        ("IBAN ORDINANTE IT86S0306909606100000063527", []),
        ("ORD-2026-000123 ORD-2026-000123 e ORD-2026-000200", ["ORD-2026-000123", "ORD-2026-000200"]),
    ],
)
def test_order_numbers_as_written(text: str, expected: list[str]) -> None:
    assert find_order_numbers(text) == expected


@pytest.mark.parametrize(
    ("payer", "customer", "same"),
    [
        ("ROSSI MARIO S.R.L.", "Rossi Mario Srl", True),
        ("Rossi  Mario", "MARIO ROSSI", True),
        ("Società Cooperativa Sociale Arcobaleno", "SOCIETA' COOPERATIVA SOCIALE ARCOBALENO", True),
        ("Nicolò Bianchi", "Nicolo' Bianchi", True),
        ("ACME S.p.A.", "Acme SpA", True),
        ("Mustermann GmbH", "MUSTERMANN GMBH", True),
        ("Rossi Mario S.r.l.", "Rossi Maria S.r.l.", False),
        ("Rossi Mario", "Rossi Mario Giuseppe", False),
        ("S.r.l.", "S.p.A.", False),  # nothing left to compare
        ("", "", False),
    ],
)
def test_payer_names_compared(payer: str, customer: str, same: bool) -> None:
    assert same_name(payer, customer) is same
