"""The rules an invoice must meet before its XML goes to the SdI, beyond what the schema expresses.

``sdi_problems`` returns one sentence per problem, naming the field (and the XML element), empty when
the invoice can be built and sent. Rules with an SdI error code are the exchange system's own checks
(it rejects the file); the others are this project's, each said why:

- 00427: a 6-character CodiceDestinatario only on FPA12, a 7-character one only on FPR12.
- 00426: PECDestinatario only with the recipient code 0000000 (which without a PEC address delivers to
  the buyer's tax drawer), and not one of the SdI's own mailboxes (00330). 00313: the code XXXXXXX
  only for a buyer with a foreign VAT identification.
- 00417: the buyer has a VAT number or a fiscal code (or both).
- 00300-00306 (checked by the SdI against the tax registry): the VAT numbers and fiscal codes are well
  formed, with their check digits (python-stdnum, through ``understand.identifiers``).
- 00425: the invoice number holds a digit. 00424: a VAT rate is a percentage (22, not 0.22).
- 00421-00423: line amounts, taxable amounts and VAT are computed by ``fatturapa_values`` exactly as the
  SdI checks them; ``expected_total``, when given, must match.
- VAT chargeability ``S`` only under split payment: the XML says ``S`` exactly when
  ``invoice.split_payment`` is set, and split payment is refused where it cannot apply (a private
  person, a buyer abroad).
- CIG: a public administration cannot pay an invoice without the CIG of the purchase (law 136/2010
  on payment tracing, DL 66/2014 art. 25), so an FPA12 invoice needs one unless ``cig_exempt``; each CIG
  and CUP must pass the DOMAIN.md rules.
- The progressive is 1 to 5 letters or digits: it names the file (``IT01234567890_0001A.xml``).
- Text: only the characters the schema allows (Latin-1 letters and signs, no controls), within its
  lengths, said per field rather than as a schema error; a VAT rate of 0 (which needs a Natura code)
  is not built.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from decimal import Decimal

from mailbot.billing.fatturapa_values import (
    FOREIGN_RECIPIENT,
    FPA12,
    PEC_DELIVERY,
    Address,
    Buyer,
    Invoice,
    Line,
    PersonName,
    Seller,
    TaxId,
    invoice_totals,
)
from mailbot.text import visible
from mailbot.understand.identifiers import (
    normalise,
    normalise_iban,
    validate_cig,
    validate_cup,
    validate_fiscal_code,
    validate_iban,
    validate_pec,
    validate_vat_number,
)

TAX_REGIMES = frozenset(f"RF{n:02d}" for n in (1, 2, *range(4, 20)))
MAX_LINES = 9999
SDI_PEC_DOMAIN = "@pec.fatturapa.it"  # the SdI's own PEC mailboxes (sdi01@pec.fatturapa.it, ...)
PROGRESSIVE = re.compile(r"[A-Za-z0-9]{1,5}")
_RECIPIENT = re.compile(r"[A-Z0-9]{6,7}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_FOREIGN_CODE = re.compile(r"[A-Z0-9]{1,28}")
_POSTCODE = re.compile(r"\d{5}")
LIMIT = Decimal(10) ** 11  # amounts have at most 11 digits before the decimal point
LATIN_1, BASIC_LATIN = "\xff", "\x7f"  # the highest character allowed


def sdi_problems(invoice: Invoice) -> list[str]:
    """Every reason the SdI (or the buyer) would refuse this invoice, as sentences; empty when none."""
    line_problems = list(_line_problems(invoice.lines))
    return [
        *_recipient_problems(invoice),
        *_seller_problems(invoice.seller),
        *_buyer_problems(invoice.buyer),
        *_document_problems(invoice),
        *_split_payment_problems(invoice),
        *_order_problems(invoice),
        *line_problems,
        *_payment_problems(invoice),
        *([] if line_problems else _total_problems(invoice)),
    ]


def _recipient_problems(invoice: Invoice) -> Iterator[str]:
    buyer, field = invoice.buyer, "buyer.recipient_code (CodiceDestinatario)"
    code = buyer.recipient_code
    if not _RECIPIENT.fullmatch(code):
        yield f"{field} {_quote(code)} must be 6 (public administration) or 7 capital letters or digits"
    elif invoice.transmission_format == FPA12 and len(code) != 6:
        yield (
            f"{field} {_quote(code)} has {len(code)} characters: an invoice to a public administration "
            "(FPA12) needs the office's 6-character code (codice univoco ufficio)"
        )
    elif invoice.transmission_format != FPA12 and len(code) != 7:
        yield (
            f"{field} {_quote(code)} has {len(code)} characters: an invoice to a company or a person (FPR12) "
            f"needs a 7-character recipient code ({PEC_DELIVERY} for delivery by PEC); 6 characters are a "
            "public administration's office code"
        )
    if buyer.pec is not None:
        if code != PEC_DELIVERY:
            yield f"buyer.pec (PECDestinatario) is given, so {field} must be {PEC_DELIVERY}, not {_quote(code)}"
        yield from _text_problems("buyer.pec (PECDestinatario)", buyer.pec, 256, BASIC_LATIN)
        if (reason := validate_pec(buyer.pec)) is not None:
            yield f"buyer.pec (PECDestinatario) {_quote(buyer.pec)}: {reason}"
        elif buyer.pec.lower().endswith(SDI_PEC_DOMAIN):
            yield f"buyer.pec (PECDestinatario) {_quote(buyer.pec)} is a mailbox of the SdI, not the buyer's"
    if code == FOREIGN_RECIPIENT and (buyer.vat is None or buyer.vat.country == "IT"):
        yield f"{field} {FOREIGN_RECIPIENT} is for a buyer abroad: buyer.vat must be given, of a country other than IT"


def _seller_problems(seller: Seller) -> Iterator[str]:
    yield from _name_problems("seller.name", seller.name)
    yield from _tax_id_problems("seller.vat (IdFiscaleIVA)", seller.vat)
    yield from _fiscal_code_problems("seller.fiscal_code (CodiceFiscale)", seller.fiscal_code)
    yield from _address_problems("seller.address", seller.address)
    if seller.tax_regime not in TAX_REGIMES:
        yield f"seller.tax_regime (RegimeFiscale) {_quote(seller.tax_regime)} is not one of RF01-RF19 (RF01: ordinary)"


def _buyer_problems(buyer: Buyer) -> Iterator[str]:
    yield from _name_problems("buyer.name", buyer.name)
    if buyer.vat is None and buyer.fiscal_code is None:
        yield "buyer needs a VAT number (buyer.vat, IdFiscaleIVA) or a fiscal code (buyer.fiscal_code, CodiceFiscale)"
    if buyer.vat is not None:
        yield from _tax_id_problems("buyer.vat (IdFiscaleIVA)", buyer.vat)
    yield from _fiscal_code_problems("buyer.fiscal_code (CodiceFiscale)", buyer.fiscal_code)
    yield from _address_problems("buyer.address", buyer.address)


def _document_problems(invoice: Invoice) -> Iterator[str]:
    yield from _text_problems("number (Numero)", invoice.number, 20, BASIC_LATIN)
    if not any(ch.isdigit() for ch in invoice.number):
        yield f"number (Numero) {_quote(invoice.number)} must hold at least one digit"
    if not _CURRENCY.fullmatch(invoice.currency):
        yield f"currency (Divisa) {_quote(invoice.currency)} must be a 3-letter code such as EUR"
    if not PROGRESSIVE.fullmatch(invoice.progressive):
        yield (
            f"progressive (ProgressivoInvio) {_quote(invoice.progressive)} must be 1 to 5 letters or digits: "
            "it names the file, as in IT01234567890_0001A.xml"
        )
    transmitter = invoice.transmitter
    if transmitter is not None and transmitter.country == "IT":  # an Italian transmitter by its fiscal code
        yield from _fiscal_code_problems("transmitter (IdTrasmittente)", transmitter.code)
    elif transmitter is not None:
        yield from _tax_id_problems("transmitter (IdTrasmittente)", transmitter)


def _split_payment_problems(invoice: Invoice) -> Iterator[str]:
    if not invoice.split_payment:
        return
    if isinstance(invoice.buyer.name, PersonName):
        yield "split_payment is set, but the buyer is a private person: split payment (chargeability S) never applies"
    if invoice.buyer.address.country != "IT":
        yield "split_payment is set, but the buyer is abroad: split payment applies to Italian entities only"


def _order_problems(invoice: Invoice) -> Iterator[str]:
    for cig in invoice.cig:
        reason = validate_cig(cig) or (None if normalise(cig) == cig else f"write it as {normalise(cig)}")
        if reason:
            yield f"cig (CodiceCIG) {_quote(cig)}: {reason}"
    for cup in invoice.cup:
        reason = validate_cup(cup) or (None if normalise(cup) == cup else f"write it as {normalise(cup)}")
        if reason:
            yield f"cup (CodiceCUP) {_quote(cup)}: {reason}"
    if invoice.transmission_format == FPA12 and not invoice.cig and not invoice.cig_exempt:
        yield "cig (CodiceCIG) is missing: a public administration cannot pay an invoice without it (unless cig_exempt)"
    if invoice.cig_exempt and invoice.cig:
        yield "cig_exempt is set, but CIG codes are given: one or the other"
    if (invoice.cig or invoice.cup) and invoice.order_document_id is None:
        yield "CIG and CUP go in DatiOrdineAcquisto, whose IdDocumento needs order_number or buyer_reference"
    if invoice.buyer_reference is not None:
        yield from _text_problems("buyer_reference (IdDocumento)", invoice.buyer_reference, 20, BASIC_LATIN)
    if invoice.order_number is not None:
        yield from _text_problems("order_number (IdDocumento, CodicePagamento)", invoice.order_number, 20, BASIC_LATIN)


def _line_problems(lines: tuple[Line, ...]) -> Iterator[str]:
    if not lines:
        yield "lines: an invoice needs at least one line"
    if len(lines) > MAX_LINES:
        yield f"lines: at most {MAX_LINES} lines, not {len(lines)}"
    for n, line in enumerate(lines, 1):
        where = f"line {n}"
        yield from _text_problems(f"{where} description (Descrizione)", line.description, 1000, LATIN_1)
        yield from _number_problems(f"{where} quantity (Quantita)", line.quantity, 8, 12, positive=True)
        yield from _number_problems(f"{where} unit_price (PrezzoUnitario)", line.unit_price, 8, 11)
        yield from _rate_problems(f"{where} vat_rate (AliquotaIVA)", line.vat_rate)
        if line.quantity.is_finite() and line.unit_price.is_finite() and abs(line.quantity * line.unit_price) >= LIMIT:
            yield f"{where} amount (PrezzoTotale) has more than 11 digits before the decimal point"
        if line.period_start and line.period_end and line.period_start > line.period_end:
            yield f"{where} period_start {line.period_start} is after period_end {line.period_end}"


def _payment_problems(invoice: Invoice) -> Iterator[str]:
    payment = invoice.payment
    if payment is None:
        return
    if payment.iban is not None:
        if (reason := validate_iban(payment.iban)) is not None:
            yield f"payment.iban (IBAN) {_quote(payment.iban)}: {reason}"
        elif normalise_iban(payment.iban) != payment.iban:
            yield f"payment.iban (IBAN) {_quote(payment.iban)}: write it as {normalise_iban(payment.iban)}"
    if payment.due_date is not None and payment.due_date < invoice.issue_date:
        yield f"payment.due_date (DataScadenzaPagamento) {payment.due_date} is before issue_date {invoice.issue_date}"


def _total_problems(invoice: Invoice) -> Iterator[str]:
    totals = invoice_totals(invoice)
    if totals.total < 0:
        yield f"the total {totals.total} is negative: an invoice (TD01) cannot be; a credit note is another document"
    if abs(totals.total) >= LIMIT:
        yield f"the total {totals.total} has more than 11 digits before the decimal point"
    if invoice.expected_total is not None and invoice.expected_total != totals.total:
        yield (
            f"expected_total {invoice.expected_total} differs from the total of the lines {totals.total} "
            f"(net {totals.net} + VAT {totals.vat})"
        )


def _name_problems(field: str, name: str | PersonName) -> Iterator[str]:
    if isinstance(name, PersonName):
        yield from _text_problems(f"{field}.first (Nome)", name.first, 60, LATIN_1)
        yield from _text_problems(f"{field}.last (Cognome)", name.last, 60, LATIN_1)
    else:
        yield from _text_problems(f"{field} (Denominazione)", name, 80, LATIN_1)


def _tax_id_problems(field: str, tax_id: TaxId) -> Iterator[str]:
    if not _COUNTRY.fullmatch(tax_id.country):
        yield f"{field} country {_quote(tax_id.country)} must be 2 capital letters (IT)"
    elif tax_id.country != "IT":
        if not _FOREIGN_CODE.fullmatch(tax_id.code):
            yield f"{field} {_quote(tax_id.code)} must be 1 to 28 capital letters or digits, without the country"
    elif not re.fullmatch(r"\d{11}", tax_id.code):
        yield f"{field} {_quote(tax_id.code)} must be the 11 digits of the partita IVA, without IT"
    elif (reason := validate_vat_number(tax_id.code)) is not None:
        yield f"{field} {_quote(tax_id.code)}: {reason}"


def _fiscal_code_problems(field: str, code: str | None) -> Iterator[str]:
    if code is None:
        return
    if not re.fullmatch(r"[A-Z0-9]{11,16}", code):
        yield f"{field} {_quote(code)} must be 11 to 16 capital letters or digits"
    elif (reason := validate_fiscal_code(code)) is not None:
        yield f"{field} {_quote(code)}: {reason}"


def _address_problems(field: str, address: Address) -> Iterator[str]:
    yield from _text_problems(f"{field}.street (Indirizzo)", address.street, 60, LATIN_1)
    yield from _text_problems(f"{field}.city (Comune)", address.city, 60, LATIN_1)
    if address.number is not None:
        yield from _text_problems(f"{field}.number (NumeroCivico)", address.number, 8, BASIC_LATIN)
    if not _POSTCODE.fullmatch(address.postcode):
        yield f"{field}.postcode (CAP) {_quote(address.postcode)} must be 5 digits (00000 abroad)"
    if address.province is not None and not _COUNTRY.fullmatch(address.province):
        yield f"{field}.province (Provincia) {_quote(address.province)} must be 2 capital letters (RM)"
    if not _COUNTRY.fullmatch(address.country):
        yield f"{field}.country (Nazione) {_quote(address.country)} must be 2 capital letters (IT)"


def _text_problems(field: str, text: str, max_length: int, highest: str) -> Iterator[str]:
    if not text.strip():
        yield f"{field} is empty"
    elif len(text) > max_length:
        yield f"{field} has {len(text)} characters, more than {max_length}"
    for ch in dict.fromkeys(text):  # each character once, in order
        if unicodedata.category(ch) == "Cc":
            yield f"{field} has the control character {_quote(ch)} (U+{ord(ch):04X}): write it on one line"
        elif ch > highest:
            allowed = "Latin-1 letters and signs" if highest == LATIN_1 else "ASCII letters, digits and signs"
            yield f"{field} has the character {_quote(ch)} (U+{ord(ch):04X}), which the SdI refuses: only {allowed}"


def _number_problems(field: str, value: Decimal, places: int, digits: int, *, positive: bool = False) -> Iterator[str]:
    if not value.is_finite():
        yield f"{field} {value} is not a finite number"
        return
    if positive and value <= 0:
        yield f"{field} {value} must be more than 0"
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        yield f"{field} {value} has more than {places} decimal places"
    if abs(value) >= Decimal(10) ** digits:
        yield f"{field} {value} has more than {digits} digits before the decimal point"


def _rate_problems(field: str, rate: Decimal) -> Iterator[str]:
    if not rate.is_finite() or not 0 <= rate <= 100:
        yield f"{field} {rate} must be a percentage between 0 and 100"
    elif rate == 0:
        yield f"{field} is 0: an exempt or non-taxable line needs a Natura code, which this builder does not write"
    elif rate < 1:
        yield f"{field} {rate} is not a percentage: write 22 for 22 %, not 0.22"
    elif rate != rate.quantize(Decimal("0.01")):
        yield f"{field} {rate} has more than 2 decimal places"


def _quote(value: str) -> str:
    """A value from outside in a message: quoted, its hidden characters escaped."""
    return f"'{visible(value)}'"
