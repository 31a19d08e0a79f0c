"""The values of an electronic invoice (FatturaPA 1.2.2) and its arithmetic: frozen values in, totals out.

Amounts are ``Decimal``, rounded half-up to the cent where the SdI rounds: a line's amount
(PrezzoTotale) is quantity x unit price; the taxable amount of a VAT rate (ImponibileImporto) is the sum
of its lines' amounts; its VAT (Imposta) is taxable x rate / 100; the document total
(ImportoTotaleDocumento) is taxable plus VAT over every rate. Under split payment the buyer pays the
seller the net amount only and the VAT to the State itself, so the amount due is the net.

A VAT rate is a percentage: ``Decimal("22")`` is 22 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
FPA12 = "FPA12"  # to a public administration: the office's 6-character code
FPR12 = "FPR12"  # to a company or a person: a 7-character recipient code
DOCUMENT_TYPE = "TD01"  # an invoice (fattura); credit notes and the rest are not built here
PEC_DELIVERY = "0000000"  # the recipient code of delivery by PEC (or to the buyer's tax drawer)
FOREIGN_RECIPIENT = "XXXXXXX"  # the recipient code of a buyer abroad


def to_cents(amount: Decimal) -> Decimal:
    """``amount`` rounded half-up to the cent: ``0.125`` -> ``0.13``, ``-0.125`` -> ``-0.13``."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TaxId:
    """A VAT identification (IdFiscaleIVA): the country and the number without the country prefix."""

    country: str  # "IT"
    code: str  # "01234567890"

    def __str__(self) -> str:
        return f"{self.country}{self.code}"


@dataclass(frozen=True)
class PersonName:
    """A person's name (Nome, Cognome); a plain string names a company or an office (Denominazione)."""

    first: str
    last: str


@dataclass(frozen=True)
class Address:
    """A seat (Sede). Abroad, the postcode is ``00000`` and there is no province."""

    street: str  # Indirizzo, "Via Roma"
    postcode: str  # CAP, 5 digits
    city: str  # Comune
    province: str | None = None  # Provincia, 2 capital letters, Italy only
    country: str = "IT"  # Nazione
    number: str | None = None  # NumeroCivico


@dataclass(frozen=True)
class Seller:
    """The provider (CedentePrestatore)."""

    name: str | PersonName
    vat: TaxId
    address: Address
    fiscal_code: str | None = None
    tax_regime: str = "RF01"  # RegimeFiscale: RF01 is the ordinary regime


@dataclass(frozen=True)
class Buyer:
    """The customer (CessionarioCommittente) and where the SdI delivers the invoice."""

    name: str | PersonName
    address: Address
    recipient_code: str  # a PA office's 6 characters; else 7, "0000000" for PEC or the tax drawer
    public_administration: bool = False  # FPA12 when true, else FPR12
    vat: TaxId | None = None
    fiscal_code: str | None = None
    pec: str | None = None  # PECDestinatario, only with the recipient code "0000000"


@dataclass(frozen=True)
class Line:
    """One line of the invoice (DettaglioLinee)."""

    description: str
    quantity: Decimal
    unit_price: Decimal  # net of VAT; up to 8 decimals
    vat_rate: Decimal  # percent: Decimal("22")
    period_start: date | None = None  # the service period the line pays for
    period_end: date | None = None


@dataclass(frozen=True)
class BankTransfer:
    """Payment by bank transfer (MP05), in one instalment."""

    iban: str | None = None
    due_date: date | None = None


@dataclass(frozen=True)
class Invoice:
    """An invoice (TD01) ready to be written as FatturaPA XML.

    ``progressive`` is the transmission's progressive (ProgressivoInvio) and the file name's, 1 to 5
    letters or digits unique for the transmitter (``progressive_from_counter`` makes one).
    ``split_payment`` is the decision for this invoice (``split_payment_applies``). CIG and CUP go to
    DatiOrdineAcquisto, whose IdDocumento is ``buyer_reference`` when given, else ``order_number``;
    the order number is also the payment reference (CodicePagamento). ``cig_exempt`` says a public
    administration's purchase needs no CIG (an exclusion from payment tracing). ``transmitter`` is
    whoever sends the file (IdTrasmittente), the seller when not given. ``expected_total``, when given
    (the order's amount), must equal the total the lines make.
    """

    seller: Seller
    buyer: Buyer
    number: str
    issue_date: date
    progressive: str
    lines: tuple[Line, ...]
    currency: str = "EUR"
    split_payment: bool = False
    order_number: str | None = None
    buyer_reference: str | None = None
    cig: tuple[str, ...] = ()
    cup: tuple[str, ...] = ()
    cig_exempt: bool = False
    payment: BankTransfer | None = None
    transmitter: TaxId | None = None
    expected_total: Decimal | None = None

    @property
    def transmission_format(self) -> str:
        return FPA12 if self.buyer.public_administration else FPR12

    @property
    def sender(self) -> TaxId:
        """The transmitter's identification: it names the file and fills IdTrasmittente."""
        return self.transmitter or self.seller.vat

    @property
    def order_document_id(self) -> str | None:
        """The IdDocumento of DatiOrdineAcquisto: the buyer's reference, else the provider's order."""
        return self.buyer_reference or self.order_number


@dataclass(frozen=True)
class VatSummary:
    """One rate's summary (DatiRiepilogo)."""

    rate: Decimal
    taxable: Decimal  # ImponibileImporto
    vat: Decimal  # Imposta


@dataclass(frozen=True)
class Totals:
    summaries: tuple[VatSummary, ...]  # one per rate, in the order the rates first appear
    net: Decimal
    vat: Decimal
    total: Decimal  # ImportoTotaleDocumento: net + VAT
    due: Decimal  # what the buyer pays the seller: the total, or the net under split payment


def line_amount(line: Line) -> Decimal:
    """A line's amount (PrezzoTotale): quantity x unit price, rounded half-up to the cent."""
    return to_cents(line.quantity * line.unit_price)


def vat_summaries(lines: Iterable[Line]) -> tuple[VatSummary, ...]:
    """The taxable amount and VAT of each rate; VAT = taxable x rate / 100 rounded half-up."""
    taxable: dict[Decimal, Decimal] = {}
    for line in lines:
        taxable[line.vat_rate] = taxable.get(line.vat_rate, Decimal("0.00")) + line_amount(line)
    return tuple(VatSummary(rate, amount, to_cents(amount * rate / 100)) for rate, amount in taxable.items())


def invoice_totals(invoice: Invoice) -> Totals:
    summaries = vat_summaries(invoice.lines)
    net = sum((s.taxable for s in summaries), Decimal("0.00"))
    vat = sum((s.vat for s in summaries), Decimal("0.00"))
    total = net + vat
    return Totals(summaries, net, vat, total, net if invoice.split_payment else total)


def split_payment_applies(is_split_customer: bool, invoice_date: date, valid_until: date | None) -> bool:
    """Whether an invoice of ``invoice_date`` to this customer is issued under split payment: only for a
    customer subject to it, and only while the regime is authorised (``valid_until`` is its last day,
    from configuration; ``None`` when no end date is set)."""
    return is_split_customer and (valid_until is None or invoice_date <= valid_until)
