"""Automatic renewals: the results of the payment provider's charges, applied.

The provider charges the card or PayPal account of each service with automatic renewal on its expiry
and reports each charge: a CSV file (columns ``service`` (external id), ``date``, ``amount``, ``result``
(``ok`` or ``failed``), ``reference`` (the provider's id of the charge), optional ``method`` (card or
paypal, default the service's) and ``reason``). Each charge pays the order already waiting to renew its
service, else a renewal order of one year made for it without payment instructions, and then:

- **ok**: the charge is recorded as its payment (source ``provider``; the reference, unique, is the
  ``line_key``): the order completes like any paid order (expiry moved, the customer told, the invoice
  issued at once). A customer whose card was charged no longer gets "reactivate" emails;
- **failed**: the service's automatic renewal is switched off (audited: no "we will charge" notice may
  follow), the customer gets ``charge_failed`` (the reason, the order, a link to pay it with another
  card or PayPal, how to have the card changed by staff), which stands as the order's payment
  instructions, and the order follows the usual unpaid-order path: reminders, then cancellation.

A charge for a service that can no longer be renewed (suspended, cancelled) is kept with a ticket for
staff (a refund, or a new purchase), and the other charges go on. Each charge is kept as an imported
line (``statement_line``, key ``charge:<reference>``), so a second import of the same file does
nothing. The file is checked whole first: one bad row (an unknown service, an amount that is not one, a
result that is neither) stops it, with every bad row listed, and nothing is applied.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot import audit
from mailbot.act.tickets_open import open_support_ticket
from mailbot.billing.payments import PaymentIn, record_payment
from mailbot.db.models import Order, Service, StatementLine, order_service
from mailbot.domain import (
    AUTORENEW_METHODS,
    OPEN_ORDER_STATUSES,
    AuditEntry,
    OrderType,
    PaymentMethod,
    PaymentSource,
)
from mailbot.errors import InputError
from mailbot.importing.fields import parse_cents, parse_date
from mailbot.importing.reading import check_columns, open_table
from mailbot.importing.rows import RowError
from mailbot.orders import Mailing, NewOrder, create_order
from mailbot.outbound.order_mail import order_key, plan_order_email
from mailbot.outbound.plan import enqueue_planned

REQUIRED = ("service", "date", "amount", "result", "reference")
OPTIONAL = ("method", "reason")
RESULTS = ("ok", "failed")


@dataclass(frozen=True)
class ChargeRow:
    line: int
    service: str  # the service's external id
    charged_on: date
    amount_cents: int
    ok: bool
    reference: str
    method: PaymentMethod | None
    reason: str

    @property
    def key(self) -> str:
        return f"charge:{self.reference}"


@dataclass
class ChargeReport:
    source: str
    renewed: list[str] = field(default_factory=list)  # order numbers completed by a charge
    failed: list[str] = field(default_factory=list)  # order numbers waiting for payment
    for_staff: list[str] = field(default_factory=list)  # order numbers whose charge was not the amount due
    already: int = 0  # charges imported before
    refused: list[str] = field(default_factory=list)  # services no longer renewable: a ticket each

    def summary(self) -> str:
        return (
            f"{self.source}: {len(self.renewed)} renewed, {len(self.failed)} failed (customer asked to pay), "
            f"{len(self.for_staff) + len(self.refused)} for staff, {self.already} already imported"
        )


def read_charges(data: bytes, source: str) -> list[ChargeRow]:
    """Every row of a charges file; an InputError listing every bad row (by line and column) if any."""
    table = open_table(io.BytesIO(data), source)
    errors = list(table.header_errors) or check_columns(table.columns, REQUIRED, OPTIONAL)
    rows: list[ChargeRow] = []
    if not errors:
        for line, cells in table.records:
            if isinstance(cells, list):
                errors.extend(cells)
                continue
            parsed = _row(line, cells)
            if isinstance(parsed, list):
                errors.extend(parsed)
            else:
                rows.append(parsed)
    seen: dict[str, int] = {}
    for row in rows:
        if row.reference in seen:
            errors.append(RowError(row.line, "reference", f"the same charge as line {seen[row.reference]}"))
        seen.setdefault(row.reference, row.line)
    if errors:
        raise InputError(f"{source}: nothing imported:\n" + "\n".join(f"  {e}" for e in errors))
    return rows


def apply_charges(
    session: Session, mailing: Mailing, rows: list[ChargeRow], source: str, *, now: datetime, actor: str
) -> ChargeReport:
    """Apply ``rows`` in the caller's transaction (check them with ``read_charges`` first)."""
    report = ChargeReport(source)
    services = _services(session, rows, source)
    done = set(session.scalars(select(StatementLine.key).where(StatementLine.key.in_([r.key for r in rows]))))
    for row in rows:
        if row.key in done:
            report.already += 1
        else:
            _apply(session, mailing, row, services[row.service], report, source=source, now=now, actor=actor)
    return report


def _apply(
    session: Session,
    mailing: Mailing,
    row: ChargeRow,
    service: Service,
    report: ChargeReport,
    *,
    source: str,
    now: datetime,
    actor: str,
) -> None:
    """One charge: its order, then its payment (ok) or the customer asked to pay (failed), and its line."""
    method = row.method or service.payment_method
    if method not in AUTORENEW_METHODS:
        raise InputError(f"{source}: line {row.line}: service {row.service} is not paid by card or PayPal")
    order = _open_order(session, service)
    created = order is None
    if order is None:
        new = NewOrder(service.customer, [service], 1, method, OrderType.RENEWAL)
        try:
            with session.begin_nested():
                order = create_order(session, mailing, new, now=now, actor=actor, instructions=False)
        except InputError as exc:  # a service no longer renewable (suspended, cancelled): staff decide
            _refused(session, row, service, str(exc), report, source=source, now=now)
            return
    line = StatementLine(
        key=row.key,
        source=source[:200],
        booked_on=row.charged_on,
        amount_cents=row.amount_cents,
        outcome="charge_failed",
        details={"service": row.service, "reference": row.reference, "reason": row.reason, "line": row.line},
        order_id=order.id,
        imported_at=now,
    )
    if row.ok:
        paid = PaymentIn(row.amount_cents, method, row.charged_on, PaymentSource.PROVIDER, row.reference, row.key)
        recorded = record_payment(session, mailing, order, paid, now=now, actor=actor)
        line.outcome, line.payment_id, line.ticket_id = (
            recorded.settlement.value,
            recorded.payment_id,
            recorded.ticket_id,
        )
        (report.for_staff if recorded.settlement.for_staff else report.renewed).append(order.number)
    else:
        # The card failed: the renewal is an order to pay now, and no "we will charge" notice may follow.
        service.autorenew = False
        details = {"charge": row.reference, "reason": row.reason}
        audit.record(
            session, AuditEntry("service.autorenew_off", "service", service.external_id, details), actor=actor, now=now
        )
        config = mailing.config
        planned = plan_order_email(order, "charge_failed", config, mailing.links, now, charge_failed=row.reason)
        if created:  # it is the new order's payment instructions: the sweep goes on from it (reminders, cancellation)
            planned = replace(planned, idempotency_key=order_key(order.id, "instructions"))
        enqueue_planned(session, [planned], renderer=mailing.renderer, mail=config.mail, now=now)
        report.failed.append(order.number)
    session.add(line)
    session.flush()


def _open_order(session: Session, service: Service) -> Order | None:
    """The order awaiting payment that already renews ``service`` (the charge pays it), if any."""
    query = (
        select(Order)
        .join(order_service, order_service.c.order_id == Order.id)
        .where(order_service.c.service_id == service.id, Order.status.in_(OPEN_ORDER_STATUSES))
        .order_by(Order.id)
    )
    return session.scalars(query).first()


def _refused(
    session: Session, row: ChargeRow, service: Service, why: str, report: ChargeReport, *, source: str, now: datetime
) -> None:
    """A charge for a service that can no longer be renewed: kept, with a ticket (refund or a new purchase)."""
    summary = f"Charge {row.reference} ({row.amount_cents / 100:.2f}) for service {row.service}: {why}"
    ticket_id = open_support_ticket(
        session,
        intent="payment_notice",
        summary=summary[:2000],
        details={"charge": row.reference, "ok": row.ok, "service": row.service, "problem": why},
        now=now,
        customer_id=service.customer_id,
    )
    details = {"service": row.service, "reference": row.reference, "reason": row.reason, "line": row.line}
    session.add(
        StatementLine(
            key=row.key,
            source=source[:200],
            booked_on=row.charged_on,
            amount_cents=row.amount_cents,
            outcome="refused",
            details=details,
            ticket_id=ticket_id,
            imported_at=now,
        )
    )
    session.flush()
    report.refused.append(row.service)


def _services(session: Session, rows: list[ChargeRow], source: str) -> dict[str, Service]:
    wanted = {row.service for row in rows}
    found = {s.external_id: s for s in session.scalars(select(Service).where(Service.external_id.in_(wanted)))}
    missing = [f"  line {row.line}: service: no service {row.service!r}" for row in rows if row.service not in found]
    if missing:
        raise InputError(f"{source}: nothing imported:\n" + "\n".join(missing))
    return found


def _row(line: int, cells: dict[str, str]) -> ChargeRow | list[RowError]:
    errors: list[RowError] = []

    def get(column: str) -> str:
        value = (cells.get(column) or "").strip()
        if not value and column in REQUIRED:
            errors.append(RowError(line, column, "required"))
        return value

    service, day, amount, result, reference = (get(c) for c in REQUIRED)
    method_text, reason = get("method").lower(), get("reason")[:200]
    charged_on, cents, method = date.min, 0, None
    try:
        charged_on = parse_date(day) if day else charged_on
    except ValueError as exc:
        errors.append(RowError(line, "date", str(exc)))
    try:
        cents = parse_cents(amount) if amount else 0
    except ValueError as exc:
        errors.append(RowError(line, "amount", str(exc)))
    if result and result.lower() not in RESULTS:
        errors.append(RowError(line, "result", f"expected ok or failed, got {result!r}"))
    if method_text:
        if method_text not in {m.value for m in AUTORENEW_METHODS}:
            errors.append(RowError(line, "method", f"expected card or paypal, got {method_text!r}"))
        else:
            method = PaymentMethod(method_text)
    if len(reference) > 100:
        errors.append(RowError(line, "reference", "longer than 100 characters"))
    if errors:
        return errors
    return ChargeRow(line, service, charged_on, cents, result.lower() == "ok", reference, method, reason)
