"""Importing a bank statement file (camt.053 or MT940): money in, orders paid, staff told, nothing twice.

``import_statement`` works inside the caller's transaction (one per file, so a file that breaks
half-way applies nothing): it parses every statement of the file, reads the books (``read_books``:
the open orders with what they received, the closed orders the lines name, the keys of the lines
imported before), plans each line (``statement_plan``) and applies the plan:

- a payment for each line that pays an order (``record_payment``, source ``statement``, the line's key
  as ``line_key``, its booking date as the day paid): a payment in full completes the order and
  enqueues the confirmation; partial and excess payments open their ticket, which gets the line;
- a support ticket for each other line staff must see (unmatched, a second payment, an order no
  longer open), the line in its details;
- one ``statement_line`` row per line with its outcome, so that importing the file again, or a
  statement overlapping it, finds its lines imported before and does nothing with them.

Imports are serialised (on PostgreSQL by a transaction-level advisory lock; SQLite's writers already
are), so two imports of one file at once still apply it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot import audit
from mailbot.act.tickets_open import open_support_ticket
from mailbot.billing.payments import PaymentIn, record_payment
from mailbot.billing.reconcile import OpenOrder, find_order_numbers
from mailbot.billing.settle import Settlement
from mailbot.billing.statement_plan import (
    ALREADY_IMPORTED,
    ALREADY_RECORDED,
    Books,
    ImportReport,
    LineResult,
    LineStep,
    describe_line,
    plan_lines,
    preview,
    recorded_before_summary,
)
from mailbot.billing.statements import Statement, parse_statements
from mailbot.db.models import Customer, Order, Payment, StatementLine, Ticket
from mailbot.domain import OPEN_ORDER_STATUSES, AuditEntry, PaymentMethod, PaymentSource
from mailbot.orders import Mailing

TICKET_INTENT = "statement_line"
_LOCK_KEY = 0x6D62_7374  # "mbst": the advisory lock that serialises statement imports on PostgreSQL
_CHUNK = 500  # values per IN (...) look-up
_STATUS = {
    Settlement.PAID: "paid",
    Settlement.PARTIAL: "partial",
    Settlement.EXCESS: "excess",
    Settlement.ORDER_CLOSED: "already_paid",
    Settlement.ALREADY_RECORDED: ALREADY_RECORDED,
}


def import_statement(
    session: Session, mailing: Mailing, data: bytes, name: str, *, now: datetime, actor: str
) -> ImportReport:
    """Parse ``data`` (the file ``name``; ``InputError`` naming it and the place when it cannot be
    read) and import all of its statements."""
    return import_statements(session, mailing, parse_statements(data, name), name, now=now, actor=actor)


def import_statements(
    session: Session, mailing: Mailing, statements: Sequence[Statement], source: str, *, now: datetime, actor: str
) -> ImportReport:
    """Import the statements of the file ``source`` (see the module's text)."""
    _serialise(session)
    books = read_books(session, statements)
    steps = plan_lines(statements, books, currency=mailing.config.payments.currency)
    results = tuple(_apply(session, mailing, source, step, books, now=now, actor=actor) for step in steps)
    session.flush()
    report = ImportReport(source, results, applied=True)
    if report.already_imported < len(results):
        details = {"paid": report.paid, "for_staff": report.for_staff, "ignored": report.ignored}
        audit.record(
            session,
            AuditEntry("statement.imported", "statement", source, {**details, "lines": len(results)}),
            actor=actor,
            now=now,
        )
    return report


def preview_statements(
    session: Session, files: Sequence[tuple[str, Sequence[Statement]]], *, currency: str
) -> list[ImportReport]:
    """What importing ``files`` (name, statements) one after the other would do; writes nothing."""
    books = read_books(session, [s for _, statements in files for s in statements])
    reports = []
    for source, statements in files:
        steps = plan_lines(statements, books, currency=currency)
        reports.append(preview(source, steps))
        books = books.after(steps)
    return reports


def read_books(session: Session, statements: Sequence[Statement]) -> Books:
    """The open orders (number, customer's name, due, received so far), the closed orders the lines
    name, and the keys of the lines imported before."""
    open_rows = session.execute(
        select(Order.id, Order.number, Customer.name, Order.due_cents)
        .join(Customer, Order.customer_id == Customer.id)
        .where(Order.status.in_(OPEN_ORDER_STATUSES))
        .order_by(Order.id)
    ).all()
    received_query = (
        select(Payment.order_id, func.sum(Payment.amount_cents))
        .join(Order, Payment.order_id == Order.id)
        .where(Order.status.in_(OPEN_ORDER_STATUSES))
        .group_by(Payment.order_id)
    )
    received: dict[int, int] = {order_id: int(total) for order_id, total in session.execute(received_query)}
    open_orders = tuple(OpenOrder(number, name, due, received.get(oid, 0)) for oid, number, name, due in open_rows)
    lines = [line for statement in statements for line in statement.lines]
    named = {number for line in lines if line.is_credit for number in find_order_numbers(line.remittance)}
    closed: dict[str, int] = {}
    for chunk in _chunks(sorted(named)):
        query = select(Order.number, Order.id).where(Order.number.in_(chunk), Order.status.not_in(OPEN_ORDER_STATUSES))
        closed.update((number, oid) for number, oid in session.execute(query))
    keys: set[str] = set()
    for chunk in _chunks(sorted({line.key for line in lines})):
        keys.update(session.scalars(select(StatementLine.key).where(StatementLine.key.in_(chunk))))
    order_ids = {number: oid for oid, number, _, _ in open_rows} | closed
    return Books(open_orders, frozenset(closed), order_ids, frozenset(keys))


def _serialise(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))


def _apply(
    session: Session, mailing: Mailing, source: str, step: LineStep, books: Books, *, now: datetime, actor: str
) -> LineResult:
    """Do what ``step`` says, keep the line, and say what was done."""
    line, outcome = step.line, step.outcome
    if step.already_imported:
        return LineResult(line, ALREADY_IMPORTED, None, outcome.note, for_staff=False, completed=False)
    number = outcome.order_number
    order = session.get(Order, books.order_ids[number]) if number is not None else None
    status, summary = outcome.kind.value, step.staff_summary
    payment_id = ticket_id = None
    completed = False
    if step.pays and order is not None:
        payment = PaymentIn(
            amount_cents=line.amount_cents,
            method=PaymentMethod.BANK_TRANSFER,
            paid_on=line.booking_date,
            source=PaymentSource.STATEMENT,
            reference=line.bank_reference or None,
            line_key=line.key,
        )
        recorded = record_payment(session, mailing, order, payment, now=now, actor=actor)
        status, completed = _STATUS[recorded.settlement], recorded.settlement.completes
        payment_id, ticket_id = recorded.payment_id, recorded.ticket_id
        if ticket_id is not None:
            _add_line_to_ticket(session, ticket_id, step)
        elif recorded.settlement is Settlement.ALREADY_RECORDED:
            summary = recorded_before_summary(step, line.bank_reference)
    if summary:
        ticket_id = _open_ticket(session, step, status, summary, order, now)
    session.add(
        StatementLine(
            key=line.key,
            source=source,
            booked_on=line.booking_date,
            amount_cents=line.amount_cents,
            outcome=status,
            details=step.details,
            order_id=order.id if order is not None else None,
            payment_id=payment_id,
            ticket_id=ticket_id,
            imported_at=now,
        )
    )
    return LineResult(line, status, number, outcome.note, ticket_id is not None, completed, payment_id, ticket_id)


def _ticket_details(step: LineStep) -> dict[str, Any]:
    line = step.line
    return {"statement_line": {"key": line.key, **step.details}, "note": f"statement line: {describe_line(line)}"}


def _add_line_to_ticket(session: Session, ticket_id: int, step: LineStep) -> None:
    """The line on the ticket ``record_payment`` opened (a partial or excess payment)."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is not None:
        ticket.details = {**ticket.details, **_ticket_details(step)}


def _open_ticket(
    session: Session, step: LineStep, status: str, summary: str, order: Order | None, now: datetime
) -> int:
    return open_support_ticket(
        session,
        intent=TICKET_INTENT,
        summary=summary,
        details={"outcome": status, **_ticket_details(step)},
        now=now,
        customer_id=order.customer_id if order is not None else None,
        order_id=order.id if order is not None else None,
    )


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
