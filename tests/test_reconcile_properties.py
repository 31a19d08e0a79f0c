"""What reconcile never does, whatever the lines and orders: assign a line to two orders, match a
line whose key was applied before, apply one bank line twice, or apply more to an order than it owes."""

from __future__ import annotations

from collections import Counter
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.billing.reconcile import OpenOrder, Outcome, reconcile
from mailbot.billing.statements import StatementLine

NUMBERS = [f"ORD-2026-{n:06d}" for n in (7, 123, 124, 5001, 100200, 123456)]
NAMES = ["Rossi Mario S.r.l.", "ROSSI MARIO SRL", "Comune di Vigevano", "Bianchi Luca", "Luca Bianchi", ""]
KEYS = [f"IT02X0503401633000000012345/ref/K{n}" for n in range(8)]


def written(number: str, form: int) -> str:
    """``number`` as a customer or a bank may write it."""
    _, year, sequence = number.split("-")
    return [
        number,
        number.lower(),
        f"ORD{year}{sequence}",
        f"ORD {year} {int(sequence)}",
        f"{number[:11]}\n{number[11:]}",  # a line break where the bank cut it
        f"saldo {number} e {NUMBERS[0]}",
    ][form]


@st.composite
def orders(draw: st.DrawFn) -> list[OpenOrder]:
    numbers = draw(st.lists(st.sampled_from(NUMBERS), unique=True, max_size=5))
    made = []
    for number in numbers:
        due = draw(st.integers(min_value=1, max_value=200_000))
        received = draw(st.integers(min_value=0, max_value=due))
        made.append(OpenOrder(number, draw(st.sampled_from(NAMES)), due, received))
    return made


@st.composite
def statement_lines(draw: st.DrawFn, open_orders: list[OpenOrder]) -> list[StatementLine]:
    lines = []
    for position in range(draw(st.integers(min_value=0, max_value=12))):
        owed = [o.due_cents - o.received_cents for o in open_orders]
        amount = draw(st.one_of(st.integers(min_value=-5_000, max_value=300_000), st.sampled_from([*owed, 0, 100])))
        remittance = draw(
            st.one_of(
                st.builds(written, st.sampled_from(NUMBERS), st.integers(min_value=0, max_value=5)),
                st.text(max_size=30),
            )
        )
        day = date(2026, 3, 5)
        key, payer = draw(st.sampled_from(KEYS)), draw(st.sampled_from(NAMES))
        lines.append(StatementLine(day, day, amount, "EUR", remittance, payer, "", "", key, f"line {position}"))
    return lines


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[StatementLine], list[OpenOrder], set[str], set[str]]:
    open_orders = draw(orders())
    lines = draw(statement_lines(open_orders))
    applied = draw(st.sets(st.sampled_from(KEYS), max_size=4))
    closed = draw(st.sets(st.sampled_from([n for n in NUMBERS if n not in {o.number for o in open_orders}])))
    return lines, open_orders, applied, closed


@settings(max_examples=500, deadline=None)
@given(cases())
def test_reconcile_never_double_counts(case: tuple[list[StatementLine], list[OpenOrder], set[str], set[str]]) -> None:
    lines, open_orders, applied_keys, closed = case
    outcomes = reconcile(lines, open_orders, applied_keys, closed_orders=closed)

    assert [o.line for o in outcomes] == lines  # one outcome per line, in order
    known = {o.number for o in open_orders} | closed
    applied_to: Counter[str] = Counter()
    keys_applied: Counter[str] = Counter()
    for outcome in outcomes:
        # one line, at most one order, and only a known one
        assert outcome.order_number is None or outcome.order_number in known
        # a line whose key was applied before is matched to nothing
        if outcome.line.key in applied_keys:
            assert (outcome.kind, outcome.order_number, outcome.applied_cents) == (Outcome.DUPLICATE, None, 0)
        assert 0 <= outcome.applied_cents <= max(outcome.line.amount_cents, 0)
        if outcome.kind is Outcome.PAID:
            assert outcome.applied_cents == outcome.line.amount_cents > 0
        if outcome.applied_cents:
            assert outcome.order_number is not None and outcome.order_number not in closed
            applied_to[outcome.order_number] += outcome.applied_cents
            keys_applied[outcome.line.key] += 1
    # one bank line is applied once at most, even when it comes twice
    assert all(count == 1 for count in keys_applied.values())
    # no order receives more than it still owed
    for order in open_orders:
        assert applied_to[order.number] <= order.due_cents - order.received_cents
