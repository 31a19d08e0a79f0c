"""An order's invoice as a FatturaPA document (pure): facts of the order and its customer in, the
``fatturapa.Invoice`` value out, which ``build_invoice_xml`` writes and the courtesy copy shows.

The lines are the order's: one per service (the years as the quantity, one year's price as the unit
price) and the bank-transfer fee. VAT is worked out per rate on the lines, as the order's was, so the
invoice's total is the order's (``expected_total`` makes the builder check it).

Whom the electronic invoice goes to (``recipient``): a public administration by its office's 6-character
code (the order's, else the customer's) in FPA12; a company or person in Italy by its 7-character
recipient code, else ``0000000`` (with the PEC when there is one: otherwise the invoice waits in the
buyer's tax drawer); a buyer abroad by ``XXXXXXX``. A customer without a billing address cannot be
invoiced: the error says what is missing, for staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from mailbot.billing.fatturapa_values import (
    FOREIGN_RECIPIENT,
    Address,
    BankTransfer,
    Buyer,
    Invoice,
    Line,
    Seller,
    TaxId,
)
from mailbot.domain import CustomerFacts, CustomerKind, OrderType
from mailbot.errors import InputError

NO_CODE = "0000000"  # delivered to the PEC given, or left in the buyer's tax drawer
ABROAD = FOREIGN_RECIPIENT
_WHAT = {
    OrderType.FIRST_PURCHASE: "Acquisto",
    OrderType.RENEWAL: "Rinnovo",
    OrderType.REACTIVATION: "Riattivazione",
    OrderType.UPGRADE: "Passaggio a",
    OrderType.ADDON: "Servizio aggiuntivo",
}
FEE_DESCRIPTION = "Spese di gestione del pagamento con bonifico bancario"


@dataclass(frozen=True)
class Charge:
    """One service of the order: what it is and one year's price."""

    product: str
    label: str
    username: str
    yearly_cents: int


@dataclass(frozen=True)
class OrderFacts:
    number: str
    type: OrderType
    years: int
    charges: tuple[Charge, ...]
    fee_cents: int
    total_cents: int  # the order's total, net + fee + VAT: the invoice must come to it
    split_payment: bool  # split payment applies on the invoice's day (``split_payment_applies``)
    cig: str | None
    cup: str | None
    office_code: str | None
    buyer: CustomerFacts


@dataclass(frozen=True)
class Numbering:
    number: str  # the invoice's number ("2026/00001")
    issue_date: date
    progressive: str  # the SdI file's progressive (``progressive_from_counter``)


def invoice_document(
    order: OrderFacts,
    seller: Seller,
    numbering: Numbering,
    *,
    vat_rate: Decimal,
    payment: BankTransfer | None = None,
) -> Invoice:
    """The electronic invoice of ``order``; ``payment`` when it is still to be paid (a PA's, by transfer)."""
    what = _WHAT[order.type]
    lines = [
        Line(
            f"{what} {c.product} - {c.label} ({c.username}), {order.years} {'anno' if order.years == 1 else 'anni'}",
            Decimal(order.years),
            _euros(c.yearly_cents),
            vat_rate,
        )
        for c in order.charges
    ]
    if order.fee_cents:
        lines.append(Line(FEE_DESCRIPTION, Decimal(1), _euros(order.fee_cents), vat_rate))
    return Invoice(
        seller=seller,
        buyer=buyer_of(order),
        number=numbering.number,
        issue_date=numbering.issue_date,
        progressive=numbering.progressive,
        lines=tuple(lines),
        split_payment=order.split_payment,
        order_number=order.number,
        cig=(order.cig,) if order.cig else (),
        cup=(order.cup,) if order.cup else (),
        payment=payment,
        expected_total=_euros(order.total_cents),
    )


def buyer_of(order: OrderFacts) -> Buyer:
    facts = order.buyer
    if not (facts.street and facts.postcode and facts.city):
        missing = [
            name
            for name, value in (("street", facts.street), ("postcode", facts.postcode), ("city", facts.city))
            if not value
        ]
        raise InputError(
            f"customer {facts.external_id}: no billing address ({', '.join(missing)} missing): "
            "complete it (customers CSV: street, postcode, city, province, country) before the invoice"
        )
    address = Address(facts.street, facts.postcode, facts.city, facts.province, facts.country)
    vat = TaxId(facts.country, facts.vat_number) if facts.vat_number else None
    code, pec, is_pa = recipient(order)
    return Buyer(
        name=facts.name,
        address=address,
        recipient_code=code,
        public_administration=is_pa,
        vat=vat,
        fiscal_code=facts.fiscal_code,
        pec=pec,
    )


def recipient(order: OrderFacts) -> tuple[str, str | None, bool]:
    """The recipient code, the PEC and whether it is a public administration's invoice (FPA12)."""
    facts = order.buyer
    if facts.kind == CustomerKind.PUBLIC_ADMINISTRATION:
        code = order.office_code or facts.recipient_code
        if not code or len(code) != 6:
            raise InputError(
                f"order {order.number}: a public administration's invoice needs its 6-character office code"
            )
        return code, None, True
    if facts.country != "IT":
        return ABROAD, None, False
    if facts.recipient_code and len(facts.recipient_code) == 7:
        return facts.recipient_code, None, False
    return NO_CODE, facts.pec, False


def _euros(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))
