"""Invoices: one per order, scheduled when it is due, numbered and sent when issued.

When an order is paid (``payments.complete_order``) its invoice is scheduled: a card or PayPal payment's
for the same day, and issued at once in the same transaction; a bank transfer's or postal slip's
``invoicing.transfer_delay_days`` later. A public administration's invoice is scheduled before payment,
as soon as its order has the CIG, the office code and the username (``schedule_pa_invoices``): the
electronic invoice is what it pays against, within ``invoicing.pa_payment_days``, and the unpaid-order
sweep leaves an order with an invoice alone (it is never cancelled automatically).

Issuing (``issue_invoice``) takes the next number of the invoice's year from a counter locked until the
transaction ends, so numbers have no gaps; builds the FatturaPA document (``invoice_doc``) and its XML,
checked against the SdI rules and the official schema; writes it to ``invoicing.sdi_dir`` under the name
SdI expects, for the provider's SdI channel to pick up; and enqueues the courtesy copy (template
``invoice``). An invoice that cannot be built (no billing address, a bad VAT number) stays scheduled and
one ticket tells staff why; the daily sweep tries again once they have fixed the customer's data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload

from mailbot import audit
from mailbot.act.load import customer_facts
from mailbot.act.tickets_open import open_support_ticket
from mailbot.app import App
from mailbot.billing.fatturapa import build_invoice_xml
from mailbot.billing.fatturapa_files import invoice_file_name, progressive_from_counter, write_invoice_file
from mailbot.billing.fatturapa_values import (
    Address,
    BankTransfer,
    Seller,
    TaxId,
    invoice_totals,
    line_amount,
    split_payment_applies,
)
from mailbot.billing.fatturapa_values import Invoice as Document
from mailbot.billing.invoice_doc import Charge, Numbering, OrderFacts, invoice_document
from mailbot.config import Config, InvoicingConfig
from mailbot.db.counters import next_in_year
from mailbot.db.engine import transaction
from mailbot.db.models import Invoice, InvoiceCounter, Order, OutboundMessage, Service, Ticket
from mailbot.domain import (
    OPEN_ORDER_STATUSES,
    AuditEntry,
    CustomerKind,
    InvoiceKind,
    InvoiceStatus,
    PaymentMethod,
    TicketStatus,
)
from mailbot.errors import InputError
from mailbot.orders import Mailing, yearly_price_cents
from mailbot.outbound.context import InvoiceInfo, InvoiceLineInfo
from mailbot.outbound.links import LinkSigner
from mailbot.outbound.order_mail import INVOICE_REMINDER, local_day, order_key, plan_order_email
from mailbot.outbound.plan import PlannedEmail, enqueue_planned

log = logging.getLogger(__name__)

INVOICE_ACTOR = "invoicing"
INVOICE_TICKET = "invoice_request"  # the ticket's intent when an invoice cannot be issued
AT_ONCE = frozenset({PaymentMethod.CARD, PaymentMethod.PAYPAL})


@dataclass
class InvoiceRun:
    """What one run of ``run_invoicing`` did."""

    scheduled: int = 0  # public administrations' invoices newly scheduled before payment
    issued: list[str] = field(default_factory=list)  # the numbers issued
    blocked: int = 0  # could not be built: staff have a ticket
    reminded: int = 0  # reminders of invoices unpaid after their due date


def schedule_invoice(
    session: Session, config: Config, order: Order, today: date, *, before_payment: bool = False
) -> Invoice:
    """The order's invoice, scheduled (once: an order that has one keeps it)."""
    existing = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    if existing is not None:
        return existing
    delay = 0 if before_payment or order.payment_method in AT_ONCE else config.invoicing.transfer_delay_days
    invoice = Invoice(
        order_id=order.id,
        customer_id=order.customer_id,
        kind=InvoiceKind.FATTURAPA,
        status=InvoiceStatus.SCHEDULED,
        issue_on=today + timedelta(days=delay),
        net_cents=order.net_cents,
        fee_cents=order.fee_cents,
        vat_cents=order.vat_cents,
        total_cents=order.total_cents,
        due_cents=order.due_cents,
        split_payment=order.split_payment,
        payment_due_on=today + timedelta(days=config.invoicing.pa_payment_days) if before_payment else None,
    )
    session.add(invoice)
    session.flush()
    return invoice


def issue_invoice(session: Session, mailing: Mailing, invoice: Invoice, *, now: datetime, actor: str) -> str:
    """Number, build, write and send ``invoice`` (scheduled); its number. Raises InputError when the
    document cannot be built: call it in a savepoint (``issue_now``) or its own transaction."""
    config = mailing.config
    today = local_day(now, config)
    order = invoice.order
    # Checked before a number is taken, so that a refused document uses none.
    build_invoice_xml(_document(config, order, invoice, today, number="0", progressive="0"))
    seq = _next_seq(session, today.year)
    number = config.invoicing.number_format.format(year=today.year, seq=seq)
    document = _document(config, order, invoice, today, number=number, progressive=progressive_from_counter(invoice.id))
    xml = build_invoice_xml(document)
    name = invoice_file_name(document)
    folder = config.path(config.invoicing.sdi_dir)
    folder.mkdir(parents=True, exist_ok=True)
    write_invoice_file(folder, name, xml)
    invoice.number, invoice.year, invoice.seq = number, today.year, seq
    invoice.issued_on, invoice.status, invoice.sdi_file = today, InvoiceStatus.ISSUED, name
    session.flush()
    details = {"invoice": number, "file": name, "total_cents": invoice.total_cents}
    audit.record(session, AuditEntry("invoice.issued", "order", order.number, details), actor=actor, now=now)
    info = invoice_info(document, invoice)
    planned = plan_order_email(order, "invoice", config, mailing.links, now, invoice=info)
    enqueue_planned(session, [planned], renderer=mailing.renderer, mail=config.mail, now=now)
    return number


def issue_now(session: Session, mailing: Mailing, invoice: Invoice, *, now: datetime, actor: str) -> str | None:
    """Issue ``invoice`` inside the caller's transaction, in a savepoint: when it cannot be built it stays
    scheduled, staff get a ticket, and the rest of the transaction (the payment) stands."""
    try:
        with session.begin_nested():
            return issue_invoice(session, mailing, invoice, now=now, actor=actor)
    except InputError as exc:
        _tell_staff_once(session, invoice.order, str(exc), now)
        return None


def schedule_pa_invoices(session: Session, config: Config, today: date) -> int:
    """Schedule, before payment, the invoice of every open order of a public administration (or a
    customer under split payment) that has its CIG, office code and username; how many."""
    query = (
        select(Order)
        .where(
            Order.status.in_(OPEN_ORDER_STATUSES),
            Order.cig.is_not(None),
            Order.office_code.is_not(None),
            Order.pa_username.is_not(None),
            ~exists().where(Invoice.order_id == Order.id),
        )
        .options(selectinload(Order.customer))
        .order_by(Order.id)
    )
    count = 0
    for order in session.scalars(query):
        if order.customer.kind == CustomerKind.PUBLIC_ADMINISTRATION or order.split_payment:
            schedule_invoice(session, config, order, today, before_payment=True)
            count += 1
    return count


def plan_invoice_reminders(session: Session, config: Config, links: LinkSigner, now: datetime) -> list[PlannedEmail]:
    """The reminders due at ``now`` for invoices issued before payment and still unpaid after their due
    date: on each of ``invoicing.overdue_reminder_days`` after it, only the latest (a missed run sends
    one), once each (key ``order:<id>:invoice_reminder_<n>``); reads only."""
    today = local_day(now, config)
    days = sorted(config.invoicing.overdue_reminder_days)
    query = (
        select(Invoice)
        .join(Order, Order.id == Invoice.order_id)
        .where(
            Invoice.status == InvoiceStatus.ISSUED,
            Invoice.payment_due_on < today,
            Order.status.in_(OPEN_ORDER_STATUSES),
        )
        .options(
            selectinload(Invoice.order).selectinload(Order.customer),
            selectinload(Invoice.order).selectinload(Order.services).selectinload(Service.product),
        )
        .order_by(Invoice.id)
    )
    planned = []
    for invoice in session.scalars(query):
        assert invoice.payment_due_on is not None and invoice.number is not None and invoice.issued_on is not None
        late = (today - invoice.payment_due_on).days
        due = [n for n, day in enumerate(days, start=1) if day <= late]
        if not due:
            continue
        order = invoice.order
        step = f"{INVOICE_REMINDER}{due[-1]}"
        if session.scalar(
            select(OutboundMessage.id).where(OutboundMessage.idempotency_key == order_key(order.id, step))
        ):
            continue
        try:
            document = _document(config, order, invoice, invoice.issued_on, number=invoice.number, progressive="0")
        except InputError as exc:
            log.warning("invoice %s: no reminder, its data no longer builds: %s", invoice.number, exc)
            continue
        info = invoice_info(document, invoice)
        planned.append(plan_order_email(order, step, config, links, now, invoice=info))
    return planned


def run_invoicing(app: App, now: datetime) -> InvoiceRun:
    """Schedule the public administrations' invoices whose codes are complete, then issue every invoice
    due by today, each in its own transaction (one that cannot be built does not stop the others)."""
    run = InvoiceRun()
    today = local_day(now, app.config)
    with transaction(app.sessions) as session:
        run.scheduled = schedule_pa_invoices(session, app.config, today)
    with app.sessions() as session:
        due = session.scalars(
            select(Invoice.id)
            .where(Invoice.status == InvoiceStatus.SCHEDULED, Invoice.issue_on <= today)
            .order_by(Invoice.id)
        ).all()
    for invoice_id in due:
        with transaction(app.sessions) as session:
            invoice = session.get(Invoice, invoice_id, with_for_update=True, populate_existing=True)
            if invoice is None or invoice.status != InvoiceStatus.SCHEDULED:
                continue  # another run issued it
            number = issue_now(session, app, invoice, now=now, actor=INVOICE_ACTOR)
        if number is None:
            run.blocked += 1
        else:
            run.issued.append(number)
    with transaction(app.sessions) as session:
        reminders = plan_invoice_reminders(session, app.config, app.links, now)
        run.reminded = enqueue_planned(
            session, reminders, renderer=app.renderer, mail=app.config.mail, now=now
        ).enqueued
    log.info(
        "invoicing: %d scheduled before payment, %d issued, %d blocked", run.scheduled, len(run.issued), run.blocked
    )
    return run


def seller_of(invoicing: InvoicingConfig) -> Seller:
    vat = invoicing.seller_vat
    return Seller(
        name=invoicing.seller_name,
        vat=TaxId(vat[:2], vat[2:]),
        address=Address(
            invoicing.seller_street,
            invoicing.seller_postcode,
            invoicing.seller_city,
            invoicing.seller_province or None,
            invoicing.seller_country,
        ),
        fiscal_code=invoicing.seller_fiscal_code or vat[2:],
        tax_regime=invoicing.tax_regime,
    )


def order_facts(order: Order, *, split_payment: bool) -> OrderFacts:
    return OrderFacts(
        number=order.number,
        type=order.type,
        years=order.years,
        charges=tuple(
            Charge(s.product.name, s.label, s.username, yearly_price_cents(s.product)) for s in order.services
        ),
        fee_cents=order.fee_cents,
        total_cents=order.total_cents,
        split_payment=split_payment,
        cig=order.cig,
        cup=order.cup,
        office_code=order.office_code,
        buyer=customer_facts(order.customer),
    )


def invoice_info(document: Document, invoice: Invoice) -> InvoiceInfo:
    totals = invoice_totals(document)
    seller, buyer = document.seller, document.buyer
    buyer_ids = [f"P.IVA {buyer.vat.country}{buyer.vat.code}"] if buyer.vat else []
    if buyer.fiscal_code:
        buyer_ids.append(f"C.F. {buyer.fiscal_code}")
    return InvoiceInfo(
        number=document.number,
        issued_on=document.issue_date,
        lines=tuple(InvoiceLineInfo(x.description, x.quantity, x.unit_price, line_amount(x)) for x in document.lines),
        vat_rate=document.lines[0].vat_rate,
        net=totals.net,
        vat=totals.vat,
        total=totals.total,
        due=totals.due,
        split_payment=document.split_payment,
        electronic=invoice.kind == InvoiceKind.FATTURAPA,
        paid=invoice.order.status not in OPEN_ORDER_STATUSES,
        payment_due_on=invoice.payment_due_on,
        seller=f"{seller.name}, P.IVA {seller.vat.country}{seller.vat.code}, {_one_line(seller.address)}",
        buyer=", ".join([str(buyer.name), *buyer_ids, _one_line(buyer.address)]),
        cig=document.cig[0] if document.cig else None,
        cup=document.cup[0] if document.cup else None,
    )


def _one_line(address: Address) -> str:
    province = f" ({address.province})" if address.province else ""
    return f"{address.street}, {address.postcode} {address.city}{province}, {address.country}"


def _document(
    config: Config, order: Order, invoice: Invoice, today: date, *, number: str, progressive: str
) -> Document:
    pay = config.payments
    payment = None
    if invoice.payment_due_on is not None and order.status in OPEN_ORDER_STATUSES:
        payment = BankTransfer(iban=pay.iban, due_date=invoice.payment_due_on)
    # Split payment only while the regime is authorised on the invoice's day (its end is configuration).
    split = split_payment_applies(invoice.split_payment, today, pay.split_payment_valid_until)
    return invoice_document(
        order_facts(order, split_payment=split),
        seller_of(config.invoicing),
        Numbering(number, today, progressive),
        vat_rate=pay.vat_rate,
        payment=payment,
    )


def _tell_staff_once(session: Session, order: Order, problem: str, now: datetime) -> None:
    """One open ticket per order whose invoice cannot be issued, whatever the number of tries."""
    summary = f"Invoice for order {order.number} cannot be issued: {problem}"
    open_one = select(Ticket.id).where(
        Ticket.order_id == order.id,
        Ticket.intent == INVOICE_TICKET,
        Ticket.status == TicketStatus.OPEN,
    )
    if session.scalar(open_one) is not None:
        return
    open_support_ticket(
        session,
        intent=INVOICE_TICKET,
        summary=summary[:2000],
        details={"problem": problem, "order": order.number},
        now=now,
        customer_id=order.customer_id,
        order_id=order.id,
    )
    log.warning("invoice of order %s blocked: staff ticket opened", order.number)


def _next_seq(session: Session, year: int) -> int:
    """The next invoice number of ``year`` (``db.counters``: per year, without gaps)."""
    return next_in_year(session, InvoiceCounter, year)
