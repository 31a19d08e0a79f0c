"""The Italian electronic invoice (FatturaPA 1.2.2): an ``Invoice`` value in, the XML's bytes out.

The front door of the FatturaPA modules: the values and their arithmetic (``fatturapa_values``), the
SdI's rules (``fatturapa_check``), the schema (``fatturapa_schema``) and the files
(``fatturapa_files``) are all reachable from here. No database, no configuration, no clock:

    xml = build_invoice_xml(invoice)            # InvoiceError (an InputError) listing the problems
    write_invoice_file(folder, invoice_file_name(invoice), xml)

The format follows the buyer: FPA12 to a public administration (its office's 6-character code), FPR12
to a company or a person (a 7-character recipient code; ``0000000`` with the PEC address, or to the
buyer's tax drawer). VAT chargeability is ``S`` under split payment, ``I`` otherwise. The bytes are the
same for the same invoice, so writing an invoice again is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from itertools import zip_longest
from xml.etree import ElementTree as ET

from mailbot.billing.fatturapa_check import sdi_problems
from mailbot.billing.fatturapa_files import (
    invoice_file_name,
    progressive_from_counter,
    sdi_file_name,
    write_invoice_file,
)
from mailbot.billing.fatturapa_schema import schema_errors
from mailbot.billing.fatturapa_values import (
    DOCUMENT_TYPE,
    FPA12,
    FPR12,
    PEC_DELIVERY,
    Address,
    BankTransfer,
    Buyer,
    Invoice,
    Line,
    PersonName,
    Seller,
    TaxId,
    Totals,
    VatSummary,
    invoice_totals,
    line_amount,
    split_payment_applies,
    to_cents,
)
from mailbot.errors import InputError

__all__ = [
    "FPA12",
    "FPR12",
    "NAMESPACE",
    "PEC_DELIVERY",
    "Address",
    "BankTransfer",
    "Buyer",
    "Invoice",
    "InvoiceError",
    "Line",
    "PersonName",
    "Seller",
    "TaxId",
    "Totals",
    "VatSummary",
    "build_invoice_xml",
    "invoice_file_name",
    "invoice_totals",
    "line_amount",
    "progressive_from_counter",
    "schema_errors",
    "sdi_file_name",
    "sdi_problems",
    "split_payment_applies",
    "to_cents",
    "write_invoice_file",
]

NAMESPACE = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"
BANK_TRANSFER = "MP05"  # ModalitaPagamento
FULL_PAYMENT = "TP02"  # CondizioniPagamento: in one go
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
SPLIT_PAYMENT_LAW = "Scissione dei pagamenti, art. 17-ter DPR 633/1972"


class InvoiceError(InputError):
    """An invoice that cannot be issued; ``problems`` holds each reason, naming its field."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("the invoice cannot be issued: " + "; ".join(self.problems))


def build_invoice_xml(invoice: Invoice) -> bytes:
    """The invoice as FatturaPA XML (UTF-8), checked against the SdI's rules and the schema first."""
    problems = sdi_problems(invoice)
    if problems:
        raise InvoiceError(problems)
    root = ET.Element("p:FatturaElettronica", {"xmlns:p": NAMESPACE, "versione": invoice.transmission_format})
    root.append(_header(invoice))
    root.append(_body(invoice, invoice_totals(invoice)))
    ET.indent(root)
    xml = XML_DECLARATION + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"
    errors = schema_errors(xml)
    if errors:  # a rule missing from sdi_problems: the file would be refused all the same
        raise InvoiceError([f"the XML breaks the FatturaPA schema at {error}" for error in errors])
    return xml


def _header(invoice: Invoice) -> ET.Element:
    header = ET.Element("FatturaElettronicaHeader")
    transmission = ET.SubElement(header, "DatiTrasmissione")
    _tax_id(transmission, "IdTrasmittente", invoice.sender)
    _text(transmission, "ProgressivoInvio", invoice.progressive)
    _text(transmission, "FormatoTrasmissione", invoice.transmission_format)
    _text(transmission, "CodiceDestinatario", invoice.buyer.recipient_code)
    _text(transmission, "PECDestinatario", invoice.buyer.pec)

    seller = ET.SubElement(header, "CedentePrestatore")
    data = ET.SubElement(seller, "DatiAnagrafici")
    _tax_id(data, "IdFiscaleIVA", invoice.seller.vat)
    _text(data, "CodiceFiscale", invoice.seller.fiscal_code)
    _name(data, invoice.seller.name)
    _text(data, "RegimeFiscale", invoice.seller.tax_regime)
    _address(seller, invoice.seller.address)

    buyer = ET.SubElement(header, "CessionarioCommittente")
    data = ET.SubElement(buyer, "DatiAnagrafici")
    if invoice.buyer.vat is not None:
        _tax_id(data, "IdFiscaleIVA", invoice.buyer.vat)
    _text(data, "CodiceFiscale", invoice.buyer.fiscal_code)
    _name(data, invoice.buyer.name)
    _address(buyer, invoice.buyer.address)
    return header


def _body(invoice: Invoice, totals: Totals) -> ET.Element:
    body = ET.Element("FatturaElettronicaBody")
    general = ET.SubElement(body, "DatiGenerali")
    document = ET.SubElement(general, "DatiGeneraliDocumento")
    _text(document, "TipoDocumento", DOCUMENT_TYPE)
    _text(document, "Divisa", invoice.currency)
    _text(document, "Data", invoice.issue_date.isoformat())
    _text(document, "Numero", invoice.number)
    _text(document, "ImportoTotaleDocumento", _amount(totals.total))
    _purchase_orders(general, invoice)

    goods = ET.SubElement(body, "DatiBeniServizi")
    for number, line in enumerate(invoice.lines, 1):
        _line(goods, number, line)
    for summary in totals.summaries:
        _summary(goods, summary, invoice.split_payment)
    if invoice.payment is not None:
        _payment(body, invoice, invoice.payment, totals.due)
    return body


def _purchase_orders(general: ET.Element, invoice: Invoice) -> None:
    """One DatiOrdineAcquisto per CIG (with the CUP of the same place in its list), all with the same
    IdDocumento; one with the IdDocumento alone for a buyer's reference without codes."""
    pairs = list(zip_longest(invoice.cig, invoice.cup))
    if not pairs and invoice.buyer_reference is not None:
        pairs = [(None, None)]
    for cig, cup in pairs:
        order = ET.SubElement(general, "DatiOrdineAcquisto")
        _text(order, "IdDocumento", invoice.order_document_id)
        _text(order, "CodiceCUP", cup)
        _text(order, "CodiceCIG", cig)


def _line(goods: ET.Element, number: int, line: Line) -> None:
    detail = ET.SubElement(goods, "DettaglioLinee")
    _text(detail, "NumeroLinea", str(number))
    _text(detail, "Descrizione", line.description)
    _text(detail, "Quantita", _decimal(line.quantity))
    _text(detail, "DataInizioPeriodo", _date(line.period_start))
    _text(detail, "DataFinePeriodo", _date(line.period_end))
    _text(detail, "PrezzoUnitario", _decimal(line.unit_price))
    _text(detail, "PrezzoTotale", _amount(line_amount(line)))
    _text(detail, "AliquotaIVA", _amount(line.vat_rate))


def _summary(goods: ET.Element, summary: VatSummary, split_payment: bool) -> None:
    element = ET.SubElement(goods, "DatiRiepilogo")
    _text(element, "AliquotaIVA", _amount(summary.rate))
    _text(element, "ImponibileImporto", _amount(summary.taxable))
    _text(element, "Imposta", _amount(summary.vat))
    _text(element, "EsigibilitaIVA", "S" if split_payment else "I")
    _text(element, "RiferimentoNormativo", SPLIT_PAYMENT_LAW if split_payment else None)


def _payment(body: ET.Element, invoice: Invoice, transfer: BankTransfer, due: Decimal) -> None:
    payment = ET.SubElement(body, "DatiPagamento")
    _text(payment, "CondizioniPagamento", FULL_PAYMENT)
    detail = ET.SubElement(payment, "DettaglioPagamento")
    _text(detail, "ModalitaPagamento", BANK_TRANSFER)
    _text(detail, "DataScadenzaPagamento", _date(transfer.due_date))
    _text(detail, "ImportoPagamento", _amount(due))
    _text(detail, "IBAN", transfer.iban)
    _text(detail, "CodicePagamento", invoice.order_number)  # the reference the payer writes


def _tax_id(parent: ET.Element, tag: str, tax_id: TaxId) -> None:
    element = ET.SubElement(parent, tag)
    _text(element, "IdPaese", tax_id.country)
    _text(element, "IdCodice", tax_id.code)


def _name(parent: ET.Element, name: str | PersonName) -> None:
    registry = ET.SubElement(parent, "Anagrafica")
    if isinstance(name, PersonName):
        _text(registry, "Nome", name.first)
        _text(registry, "Cognome", name.last)
    else:
        _text(registry, "Denominazione", name)


def _address(parent: ET.Element, address: Address) -> None:
    seat = ET.SubElement(parent, "Sede")
    _text(seat, "Indirizzo", address.street)
    _text(seat, "NumeroCivico", address.number)
    _text(seat, "CAP", address.postcode)
    _text(seat, "Comune", address.city)
    _text(seat, "Provincia", address.province)
    _text(seat, "Nazione", address.country)


def _text(parent: ET.Element, tag: str, value: str | None) -> None:
    """A child element holding ``value``; none when the value is absent."""
    if value is not None:
        ET.SubElement(parent, tag).text = value


def _date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _amount(value: Decimal) -> str:
    """Two decimals, as Amount2DecimalType and RateType want: ``22`` -> ``22.00``."""
    return f"{to_cents(value) + 0:f}"  # + 0 turns -0.00 into 0.00


def _decimal(value: Decimal) -> str:
    """Two to eight decimals, as Amount8DecimalType and QuantitaType want: ``3`` -> ``3.00``,
    ``0.125`` -> ``0.125``, ``1E+2`` -> ``100.00``."""
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{value.quantize(Decimal(1).scaleb(-places)) + 0:f}"
