"""What importing a bank statement does with each of its lines (pure): books and statements in, one
step per line out, and the report of what was done.

``reconcile`` says what each line is; a ``LineStep`` says what the writer (``statement_import``) does
with it:

- a line imported before (its key is among ``Books.imported_keys``) or given twice in the file:
  nothing at all, and it is reported as imported before;
- a line that applies money to an order (``paid``, ``partial``, ``excess``): a payment, which
  ``billing.payments.record_payment`` records, completing the order when paid in full and opening
  the ticket for a partial or excess payment;
- any other money in (``unmatched``, a ``duplicate`` payment of an order an earlier line paid,
  ``already_paid``, an ``excess`` that applies nothing): a support ticket whose summary says what
  staff must do (``staff_summary``);
- money out (``debit``): nothing but the record of the line.

Every line not imported before is kept, with its outcome and ``details`` (payer, IBAN, remittance,
reference, where it is in the file), so that the next import knows it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from mailbot.billing.reconcile import LineOutcome, OpenOrder, Outcome, reconcile
from mailbot.billing.statements.values import Statement, StatementLine, format_cents

ALREADY_IMPORTED = "already_imported"  # the status of a line imported before: nothing done
ALREADY_RECORDED = "already_recorded"  # a payment with the line's reference was recorded for the order
_PAYING = frozenset({Outcome.PAID, Outcome.PARTIAL, Outcome.EXCESS})
_REMITTANCE_SHOWN = 70  # characters of the remittance a ticket's summary quotes


@dataclass(frozen=True)
class Books:
    """What matching needs to know of the database: the open orders with what they received, the
    closed orders the statement names, each order's database id, and the keys of the lines imported."""

    open_orders: tuple[OpenOrder, ...]
    closed_orders: frozenset[str]
    order_ids: dict[str, int]
    imported_keys: frozenset[str]

    def after(self, steps: Sequence[LineStep]) -> Books:
        """The books once ``steps`` are applied (a dry run of several files plans each on these)."""
        applied: Counter[str] = Counter()
        for step in steps:
            if step.pays and step.outcome.order_number is not None:
                applied[step.outcome.order_number] += step.outcome.applied_cents
        still_open, paid = [], set()
        for order in self.open_orders:
            received = order.received_cents + applied[order.number]
            if received >= order.due_cents:
                paid.add(order.number)
            else:
                still_open.append(replace(order, received_cents=received))
        keys = {step.line.key for step in steps}
        return replace(
            self,
            open_orders=tuple(still_open),
            closed_orders=self.closed_orders | paid,
            imported_keys=self.imported_keys | keys,
        )


@dataclass(frozen=True)
class LineStep:
    """One line, what ``reconcile`` made of it, and the statement it is in."""

    outcome: LineOutcome
    account: str
    statement_id: str
    already_imported: bool

    @property
    def line(self) -> StatementLine:
        return self.outcome.line

    @property
    def pays(self) -> bool:
        """A payment is recorded for the outcome's order."""
        return not self.already_imported and self.outcome.kind in _PAYING and self.outcome.applied_cents > 0

    @property
    def staff_summary(self) -> str:
        """The summary of the ticket the writer opens for staff; "" when it opens none (a payment's
        own ticket comes from ``record_payment``)."""
        outcome = self.outcome
        if self.already_imported or self.pays or not outcome.is_for_staff:
            return ""
        if outcome.kind is Outcome.UNMATCHED:
            todo = (
                f"it matches no order ({outcome.note}). Find the order and record the payment with "
                "'mailbot payments record ORDER --method bank_transfer', or return the money"
            )
        elif outcome.kind is Outcome.ALREADY_PAID:
            todo = (
                f"order {outcome.order_number} is no longer open (paid or cancelled). If this is the payment "
                "recorded before, close this ticket; else return the money or make a new order"
            )
        else:  # a second payment for an order an earlier line of the statement paid
            again = (
                " of the same amount: most likely one transfer sent twice" if outcome.kind is Outcome.DUPLICATE else ""
            )
            todo = (
                f"order {outcome.order_number} was paid in full by an earlier line{again}. "
                "Return the money or keep it as the customer's credit"
            )
        return f"Bank transfer {describe_line(self.line)}: {todo}."

    @property
    def details(self) -> dict[str, Any]:
        """What the line's record and its ticket keep of it."""
        line, outcome = self.line, self.outcome
        return {
            "payer": line.payer_name,
            "payer_iban": line.payer_iban,
            "remittance": line.remittance,
            "reference": line.bank_reference,
            "where": line.where,
            "account": self.account,
            "statement": self.statement_id,
            "currency": line.currency,
            "value_date": line.value_date.isoformat(),
            "order": outcome.order_number,
            "matched_by": outcome.matched_by,
            "applied_cents": outcome.applied_cents,
            "note": outcome.note,
        }


def plan_lines(statements: Sequence[Statement], books: Books, *, currency: str) -> tuple[LineStep, ...]:
    """One step per line of ``statements``, in file order."""
    placed = [(statement, line) for statement in statements for line in statement.lines]
    outcomes = reconcile(
        [line for _, line in placed],
        books.open_orders,
        books.imported_keys,
        closed_orders=books.closed_orders,
        currency=currency,
    )
    return tuple(
        # reconcile gives a line seen before (by key) as a duplicate of no order
        LineStep(outcome, statement.account, statement.statement_id, _is_seen(outcome))
        for (statement, _), outcome in zip(placed, outcomes, strict=True)
    )


def _is_seen(outcome: LineOutcome) -> bool:
    return outcome.kind is Outcome.DUPLICATE and outcome.order_number is None


def recorded_before_summary(step: LineStep, reference: str) -> str:
    """The ticket's summary when a payment with the line's reference is already recorded for its order."""
    return (
        f"Bank transfer {describe_line(step.line)}: a payment with the same reference ({reference}) is already "
        f"recorded for order {step.outcome.order_number}, so nothing was recorded. If it is this transfer, close "
        "this ticket; else record it with 'mailbot payments record'."
    )


def describe_line(line: StatementLine) -> str:
    """``61.00 EUR booked 2026-03-05 from VERDI ANNA, "rinnovo portale"``, for a ticket or a note."""
    payer = line.payer_name or "an unnamed payer"
    text = line.remittance
    if len(text) > _REMITTANCE_SHOWN:
        text = text[: _REMITTANCE_SHOWN - 3] + "..."
    quoted = f', "{text}"' if text else ""
    amount = f"{format_cents(line.amount_cents)} {line.currency}"
    return f"{amount} booked {line.booking_date.isoformat()} from {payer}{quoted}"


@dataclass(frozen=True)
class LineResult:
    """What was done with one line (or, in a dry run, would be). ``status`` is the outcome kept for the
    line (an ``Outcome`` value, ``already_recorded``), or ``already_imported``."""

    line: StatementLine
    status: str
    order_number: str | None
    note: str
    for_staff: bool
    completed: bool  # the line completed its order
    payment_id: int | None = None
    ticket_id: int | None = None


@dataclass(frozen=True)
class ImportReport:
    """One file's lines, and whether they were written (``applied``) or only planned (a dry run)."""

    source: str
    results: tuple[LineResult, ...]
    applied: bool

    @property
    def paid(self) -> int:
        return sum(1 for r in self.results if r.status == Outcome.PAID and not r.for_staff)

    @property
    def for_staff(self) -> int:
        return sum(1 for r in self.results if r.for_staff)

    @property
    def already_imported(self) -> int:
        return sum(1 for r in self.results if r.status == ALREADY_IMPORTED)

    @property
    def ignored(self) -> int:
        return len(self.results) - self.paid - self.for_staff - self.already_imported

    def summary(self) -> str:
        return (
            f"{len(self.results)} lines: {self.paid} paid, {self.for_staff} for staff, "
            f"{self.already_imported} already imported, {self.ignored} ignored"
        )


def preview(source: str, steps: Sequence[LineStep]) -> ImportReport:
    """The report of a dry run: what applying ``steps`` would do."""
    return ImportReport(source, tuple(_previewed(step) for step in steps), applied=False)


def _previewed(step: LineStep) -> LineResult:
    outcome = step.outcome
    if step.already_imported:
        return LineResult(step.line, ALREADY_IMPORTED, None, outcome.note, for_staff=False, completed=False)
    completes = step.pays and outcome.kind in (Outcome.PAID, Outcome.EXCESS)
    return LineResult(
        step.line, outcome.kind.value, outcome.order_number, outcome.note, outcome.is_for_staff, completes
    )
