"""The demo's customers: about twenty, chosen so that one day of the scheduler shows every case.

Dates are relative to the demo's ``today`` so the demo tells the same story whatever day it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

from sqlalchemy import update
from sqlalchemy.orm import Session

from mailbot.billing.charges import ChargeRow, apply_charges
from mailbot.billing.invoices import issue_invoice, schedule_invoice
from mailbot.billing.payments import PaymentIn, record_payment
from mailbot.config import Config
from mailbot.db.models import Customer, Order, OutboundMessage, Product, Service
from mailbot.domain import Cadence, CustomerKind, OutboundStatus, PaymentMethod, PaymentSource, ServiceStatus
from mailbot.orders import NewOrder, create_order, price_order
from mailbot.outbound.links import LinkSigner
from mailbot.outbound.render import Renderer

K = CustomerKind
M = PaymentMethod


@dataclass(frozen=True)
class DemoService:
    label: str
    product: str
    expires_in: int  # days from today; negative when expired
    autorenew: bool = False
    method: PaymentMethod = PaymentMethod.NONE
    card_expires_in_months: int | None = None
    storage_used_pct: int = 20
    status: ServiceStatus = ServiceStatus.ACTIVE


@dataclass(frozen=True)
class DemoOrder:
    method: PaymentMethod
    created_days_ago: int
    years: int = 1
    paid_today: bool = False  # its payment is registered this morning: the confirmation goes out
    # A public administration's order whose codes came in: its invoice was issued this many days ago,
    # before payment (then the unpaid invoice is recalled once its due date has passed).
    invoiced_days_ago: int | None = None


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    kind: CustomerKind
    language: str
    story: str
    services: tuple[DemoService, ...]
    order: DemoOrder | None = None
    undeliverable: bool = False
    vat_number: str | None = None
    fiscal_code: str | None = None
    recipient_code: str | None = None
    # The payment provider's automatic-renewal charge of its first service today: "ok" or "failed".
    charge: str | None = None


# Who answers by email on the demo day, and whose transfer is on the evening's bank statement.
PA_REPLY_FROM = "ASL Provinciale"
STATEMENT_PAYS = "Francesca Romano"

PRODUCTS = (
    Product(
        code="PORTAL",
        name="Portale Impianti Cloud",
        cadence=Cadence.ANNUAL,
        price_cents=12000,
        bank_transfer_fee_cents=300,
        storage_quota_mb=1024,
    ),
    Product(
        code="EINV",
        name="Casella Fatturazione Elettronica",
        cadence=Cadence.ANNUAL,
        price_cents=4900,
        bank_transfer_fee_cents=300,
        storage_quota_mb=2048,
    ),
    Product(
        code="ARCH",
        name="Archivio Documentale (promo)",
        cadence=Cadence.ANNUAL,
        price_cents=9900,
        promo=True,
        bank_transfer_fee_cents=300,
        storage_quota_mb=5120,
    ),
    Product(
        code="TEAM-M",
        name="Portale TEAM mensile",
        cadence=Cadence.MONTHLY,
        price_cents=1500,
        bank_transfer_fee_cents=300,
        storage_quota_mb=1024,
    ),
)

S = DemoService
CUSTOMERS = (
    DemoCustomer("Mario Rossi", K.PRIVATE, "it", "expires in 30 days", (S("Impianto casa al mare", "PORTAL", 30),)),
    DemoCustomer(
        "Giulia Bianchi",
        K.PRIVATE,
        "it",
        "two services due the same day: one email",
        (S("Villa Bianchi", "PORTAL", 7), S("Negozio centro", "PORTAL", 30)),
    ),
    DemoCustomer(
        "Ferramenta Verdi S.r.l.",
        K.COMPANY,
        "it",
        "expires tomorrow",
        (S("Magazzino", "PORTAL", 1),),
        vat_number="01057861005",
        recipient_code="M5UXCR1",
    ),
    DemoCustomer(
        "Studio Neri",
        K.COMPANY,
        "it",
        "expires today",
        (S("Casella SdI", "EINV", 0),),
        vat_number="00743110157",
        recipient_code="0000000",
    ),
    DemoCustomer("Luca Gallo", K.PRIVATE, "it", "expired 7 days ago: reactivate", (S("Garage", "PORTAL", -7),)),
    DemoCustomer(
        "Anna Conti", K.PRIVATE, "it", "in grace, 30 days after expiry", (S("Archivio famiglia", "ARCH", -30),)
    ),
    DemoCustomer(
        "Officina Russo",
        K.COMPANY,
        "it",
        "grace over yesterday: suspended, notice",
        (S("Officina", "PORTAL", -91),),
        vat_number="00488410010",
    ),
    DemoCustomer(
        "Paolo Greco",
        K.PRIVATE,
        "it",
        "automatic renewal in 30 days",
        (S("Casa", "PORTAL", 30, autorenew=True, method=M.CARD, card_expires_in_months=24),),
    ),
    DemoCustomer(
        "Sara Marino",
        K.PRIVATE,
        "it",
        "automatic renewal, card expires first",
        (S("Laboratorio", "PORTAL", 30, autorenew=True, method=M.CARD, card_expires_in_months=0),),
    ),
    DemoCustomer(
        "Irene Conti",
        K.PRIVATE,
        "it",
        "automatic renewal charged today: renewed, confirmed, invoiced",
        (S("Villa", "PORTAL", 0, autorenew=True, method=M.PAYPAL),),
        fiscal_code="CNTRNI80A41F205U",
        charge="ok",
    ),
    DemoCustomer(
        "Nicola Ferri",
        K.PRIVATE,
        "it",
        "automatic renewal charge failed: asked to pay the renewal order",
        (S("Garage", "PORTAL", 0, autorenew=True, method=M.CARD, card_expires_in_months=6),),
        charge="failed",
    ),
    DemoCustomer(
        "John Smith", K.PRIVATE, "en", "English speaker, expires in 15 days", (S("Holiday home", "PORTAL", 15),)
    ),
    DemoCustomer(
        "Emma Brown", K.PRIVATE, "en", "English speaker, in grace (60 days)", (S("Studio flat", "PORTAL", -60),)
    ),
    DemoCustomer(
        "Comune di Castelfranco",
        K.PUBLIC_ADMINISTRATION,
        "it",
        "public administration, 60 days",
        (S("Scuola primaria", "PORTAL", 60),),
        fiscal_code="80016350821",
        recipient_code="UFXY12",
    ),
    DemoCustomer(
        "Chiara Ricci",
        K.PRIVATE,
        "it",
        "storage at 75%: warning",
        (S("Archivio foto", "ARCH", 200, storage_used_pct=75),),
    ),
    DemoCustomer(
        "Logistica Fontana",
        K.COMPANY,
        "it",
        "storage at 95%: critical",
        (S("Documenti", "ARCH", 150, storage_used_pct=95),),
        vat_number="01114601006",
    ),
    DemoCustomer(
        "Marco Lombardi", K.PRIVATE, "it", "catch-up: only the latest due step (15 days)", (S("Baita", "PORTAL", 10),)
    ),
    DemoCustomer(
        "Elena Moretti",
        K.PRIVATE,
        "it",
        "cancelled service: nothing sent",
        (S("Vecchio impianto", "PORTAL", 0, status=ServiceStatus.CANCELLED),),
    ),
    DemoCustomer(
        "Roberto Barbieri",
        K.PRIVATE,
        "it",
        "address undeliverable: suppressed",
        (S("Capannone", "PORTAL", 30),),
        undeliverable=True,
    ),
    DemoCustomer(
        "Francesca Romano",
        K.PRIVATE,
        "it",
        "order by bank transfer today, paid by the evening's bank statement: confirmed",
        (S("Uffici", "PORTAL", 45),),
        order=DemoOrder(M.BANK_TRANSFER, 0),
    ),
    DemoCustomer(
        "Davide Costa",
        K.PRIVATE,
        "it",
        "order by postal slip, unpaid for 3 days",
        (S("Cantina", "PORTAL", 50),),
        order=DemoOrder(M.POSTAL_SLIP, 3),
    ),
    DemoCustomer(
        "Laura Fabbri",
        K.PRIVATE,
        "en",
        "order by PayPal, unpaid for 7 days",
        (S("Boat", "EINV", 40),),
        order=DemoOrder(M.PAYPAL, 7, years=2),
    ),
    DemoCustomer(
        "Marta Ricci",
        K.PRIVATE,
        "it",
        "card payment registered today: new expiry confirmed, invoice issued",
        (S("Laboratorio", "PORTAL", 25),),
        order=DemoOrder(M.CARD, 2, paid_today=True),
        fiscal_code="RCCMRT85M41F205T",
    ),
    DemoCustomer(
        "Giorgio Esposito",
        K.PRIVATE,
        "it",
        "order by card, created today",
        (S("Negozio", "TEAM-M", 20),),
        order=DemoOrder(M.CARD, 0),
    ),
    DemoCustomer(
        "ASL Provinciale",
        K.PUBLIC_ADMINISTRATION,
        "it",
        "PA order: instructions, its reply with the codes, the electronic invoice",
        (S("Poliambulatorio", "PORTAL", 44),),
        order=DemoOrder(M.BANK_TRANSFER, 0),
        fiscal_code="02438750586",
        recipient_code="ABC123",
    ),
    DemoCustomer(
        "Comune di Borgoverde",
        K.PUBLIC_ADMINISTRATION,
        "it",
        "PA invoiced before payment, 10 days past its due date: reminder citing the invoice",
        (S("Municipio", "PORTAL", 290),),
        order=DemoOrder(M.BANK_TRANSFER, 75, invoiced_days_ago=70),
        fiscal_code="80012340586",
        recipient_code="UFXK9T",
    ),
    DemoCustomer(
        "Bar Centrale",
        K.COMPANY,
        "it",
        "unpaid for 30 days: order cancelled",
        (S("Bar", "PORTAL", 55),),
        order=DemoOrder(M.BANK_TRANSFER, 30),
        vat_number="00743110157",
    ),
)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class _Seeding:
    """Where and with what the demo data is written."""

    session: Session
    config: Config
    links: LinkSigner
    renderer: Renderer
    today: date


def seed(session: Session, config: Config, links: LinkSigner, renderer: Renderer, today: date) -> dict[str, str]:
    """Insert the demo data; return each customer's email address mapped to its story."""
    seeding = _Seeding(session, config, links, renderer, today)
    products = {}
    for template in PRODUCTS:
        product = Product(**{c.key: getattr(template, c.key) for c in Product.__table__.columns if c.key != "id"})
        session.add(product)
        products[product.code] = product
    session.flush()
    stories: dict[str, str] = {}
    charges: list[ChargeRow] = []
    for n, spec in enumerate(CUSTOMERS, start=1):
        email = f"{spec.name.split()[0].lower()}.{n}@example.org"
        customer = Customer(
            external_id=f"DEMO-C{n:03d}",
            kind=spec.kind,
            name=spec.name,
            email=email,
            language=spec.language,
            vat_number=spec.vat_number,
            fiscal_code=spec.fiscal_code,
            recipient_code=spec.recipient_code,
            split_payment=spec.kind is K.PUBLIC_ADMINISTRATION,
            street=f"Via Roma {n}",
            postcode="20121",
            city="Milano",
            province="MI",
            email_undeliverable=spec.undeliverable,
            undeliverable_reason="550 5.1.1 user unknown (demo)" if spec.undeliverable else None,
        )
        session.add(customer)
        session.flush()
        stories[email] = spec.story
        services = [
            _add_service(seeding, customer, products[s.product], s, f"{n:03d}-{i}")
            for i, s in enumerate(spec.services, start=1)
        ]
        if spec.order is not None:
            _add_order(seeding, customer, services, spec.order)
        if spec.charge is not None:
            charges.append(_charge(seeding, services[0], spec.charge, len(charges) + 1))
    if charges:
        morning = datetime.combine(today, time(6, 0), config.tz).astimezone(UTC)
        apply_charges(session, seeding, charges, "demo: the payment provider's charges", now=morning, actor="demo")
    return stories


def _charge(seeding: _Seeding, service: Service, result: str, n: int) -> ChargeRow:
    """The provider's charge of ``service``'s automatic renewal this morning, for one year's price."""
    price = price_order(
        [service.product], 1, service.payment_method, service.customer, seeding.config.payments, day=seeding.today
    )
    ok = result == "ok"
    return ChargeRow(
        0,
        service.external_id,
        seeding.today,
        price.due_cents,
        ok,
        f"demo-charge-{n}",
        None,
        "" if ok else "card declined",
    )


def _add_service(seeding: _Seeding, customer: Customer, product: Product, spec: DemoService, number: str) -> Service:
    """The service ``DEMO-S<number>``; ``number`` is the customer's and the service's, ``001-2``."""
    session, today = seeding.session, seeding.today
    i = number.rpartition("-")[2]
    quota = product.storage_quota_mb
    service = Service(
        external_id=f"DEMO-S{number}",
        customer_id=customer.id,
        product_id=product.id,
        label=spec.label,
        username=f"{customer.email.split('@')[0]}-{i}",
        started_on=today - timedelta(days=200),
        expires_on=today + timedelta(days=spec.expires_in),
        autorenew=spec.autorenew,
        payment_method=spec.method,
        card_expires=(
            add_months(today, spec.card_expires_in_months) if spec.card_expires_in_months is not None else None
        ),
        storage_quota_mb=quota,
        storage_used_mb=quota * spec.storage_used_pct // 100,
        status=spec.status,
    )
    session.add(service)
    session.flush()
    return service


def _add_order(seeding: _Seeding, customer: Customer, services: list[Service], spec: DemoOrder) -> None:
    session, config, today = seeding.session, seeding.config, seeding.today
    created = datetime.combine(today - timedelta(days=spec.created_days_ago), time(7, 0), config.tz)
    order = create_order(
        session, seeding, NewOrder(customer, services, spec.years, spec.method), now=created.astimezone(UTC)
    )
    if spec.created_days_ago:
        # Its payment instructions went out on the day it was created.
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.order_id == order.id)
            .values(status=OutboundStatus.SENT, sent_at=created.astimezone(UTC))
        )
    if spec.invoiced_days_ago is not None:
        _invoice_before_payment(seeding, order, spec.invoiced_days_ago)
    if spec.paid_today:
        morning = datetime.combine(today, time(7, 30), config.tz).astimezone(UTC)
        payment = PaymentIn(order.due_cents, spec.method, today, PaymentSource.PROVIDER, reference="PAY-DEMO-0001")
        record_payment(session, seeding, order, payment, now=morning, actor="demo")


def _invoice_before_payment(seeding: _Seeding, order: Order, days_ago: int) -> None:
    """The public administration sent its codes; its invoice went out ``days_ago`` days ago, with its email."""
    session, config = seeding.session, seeding.config
    order.cig, order.pa_username = "Z213346E34", order.services[0].username
    issued = datetime.combine(seeding.today - timedelta(days=days_ago), time(9, 0), config.tz).astimezone(UTC)
    invoice = schedule_invoice(session, config, order, issued.astimezone(config.tz).date(), before_payment=True)
    issue_invoice(session, seeding, invoice, now=issued, actor="demo")
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.order_id == order.id)
        .values(status=OutboundStatus.SENT, sent_at=issued)
    )


def camt053_credit(day: date, euros: Decimal, payer: str, remittance: str, reference: str) -> bytes:
    """A camt.053.001.02 statement of the provider's account with one booked credit, as its bank sends it."""
    opening = Decimal("1000.00")
    closing = opening + euros
    stamp = day.isoformat()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>DEMO-{stamp}</MsgId><CreDtTm>{stamp}T21:00:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>DEMO-{stamp}</Id><CreDtTm>{stamp}T21:00:00</CreDtTm>
   <Acct><Id><IBAN>IT60X0542811101000000123456</IBAN></Id><Ccy>EUR</Ccy></Acct>
   <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{opening}</Amt><CdtDbtInd>CRDT</CdtDbtInd>
    <Dt><Dt>{stamp}</Dt></Dt></Bal>
   <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{closing}</Amt><CdtDbtInd>CRDT</CdtDbtInd>
    <Dt><Dt>{stamp}</Dt></Dt></Bal>
   <Ntry>
    <Amt Ccy="EUR">{euros}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
    <BookgDt><Dt>{stamp}</Dt></BookgDt><ValDt><Dt>{stamp}</Dt></ValDt>
    <AcctSvcrRef>{escape(reference)}</AcctSvcrRef>
    <NtryDtls><TxDtls>
     <AmtDtls><TxAmt><Amt Ccy="EUR">{euros}</Amt></TxAmt></AmtDtls>
     <RltdPties><Dbtr><Nm>{escape(payer)}</Nm></Dbtr></RltdPties>
     <RmtInf><Ustrd>{escape(remittance)}</Ustrd></RmtInf>
    </TxDtls></NtryDtls>
   </Ntry>
  </Stmt>
 </BkToCstmrStmt>
</Document>
""".encode()
