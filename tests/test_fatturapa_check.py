"""The SdI's rules that the schema does not express: each one found, said naming its field, and the
invoice refused by the builder with that sentence."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from mailbot.billing.fatturapa import (
    Address,
    BankTransfer,
    Invoice,
    InvoiceError,
    Line,
    PersonName,
    TaxId,
    build_invoice_xml,
    sdi_problems,
)
from tests.support.invoices import CIG, COMPANY, PA, PERSON, RENEWAL, SELLER, invoice, pa_invoice


def _buyer(base: Any = COMPANY, **changes: Any) -> Any:
    return dataclasses.replace(base, **changes)


def _line(**changes: Any) -> tuple[Line, ...]:
    return (dataclasses.replace(RENEWAL, **changes),)


def _address(**changes: Any) -> Address:
    return dataclasses.replace(COMPANY.address, **changes)


CASES: list[tuple[str, Invoice, str]] = [
    # 00427: the code's length follows the format
    (
        "7-character code to an administration",
        pa_invoice(buyer=_buyer(PA, recipient_code="M5UXCR1")),
        "buyer.recipient_code (CodiceDestinatario) 'M5UXCR1' has 7 characters: an invoice to a public "
        "administration (FPA12) needs the office's 6-character code",
    ),
    (
        "6-character code to a company",
        invoice(buyer=_buyer(recipient_code="UFE3X1")),
        "buyer.recipient_code (CodiceDestinatario) 'UFE3X1' has 6 characters: an invoice to a company or a "
        "person (FPR12) needs a 7-character recipient code",
    ),
    (
        "code in lower case",
        invoice(buyer=_buyer(recipient_code="m5uxcr1")),
        "buyer.recipient_code (CodiceDestinatario) 'm5uxcr1' must be 6 (public administration) or 7",
    ),
    # 00426: a PEC address only with 0000000
    (
        "PEC with a recipient code",
        invoice(buyer=_buyer(pec="ufficio@pec.rossi.it")),
        "buyer.pec (PECDestinatario) is given, so buyer.recipient_code (CodiceDestinatario) must be 0000000, "
        "not 'M5UXCR1'",
    ),
    (
        "PEC that is no address",
        invoice(buyer=_buyer(PERSON, pec="mario.rossi at pec")),
        "buyer.pec (PECDestinatario) 'mario.rossi at pec': PEC is not a valid email address",
    ),
    (
        "PEC with an accented letter",
        invoice(buyer=_buyer(PERSON, pec="mário.rossi@pec.example.it")),
        "buyer.pec (PECDestinatario) has the character 'á' (U+00E1), which the SdI refuses: only ASCII",
    ),
    (
        "PEC of the SdI",
        invoice(buyer=_buyer(PERSON, pec="sdi01@pec.fatturapa.it")),
        "buyer.pec (PECDestinatario) 'sdi01@pec.fatturapa.it' is a mailbox of the SdI, not the buyer's",
    ),
    (
        "foreign code to a buyer in Italy",
        invoice(buyer=_buyer(recipient_code="XXXXXXX")),
        "buyer.recipient_code (CodiceDestinatario) XXXXXXX is for a buyer abroad: buyer.vat must be given, "
        "of a country other than IT",
    ),
    # split payment (S) only where it can apply
    (
        "split payment to a person",
        invoice(buyer=PERSON, split_payment=True),
        "split_payment is set, but the buyer is a private person",
    ),
    (
        "split payment abroad",
        invoice(
            buyer=_buyer(recipient_code="XXXXXXX", vat=TaxId("DE", "123456789"), address=_address(country="DE")),
            split_payment=True,
        ),
        "split_payment is set, but the buyer is abroad",
    ),
    # CIG and CUP
    (
        "administration without CIG",
        pa_invoice(cig=()),
        "cig (CodiceCIG) is missing: a public administration cannot pay an invoice without it (unless cig_exempt)",
    ),
    ("exempt and a CIG", pa_invoice(cig_exempt=True), "cig_exempt is set, but CIG codes are given"),
    ("CIG check", pa_invoice(cig=("8814006BD7",)), "cig (CodiceCIG) '8814006BD7': CIG checksum does not match"),
    ("CIG in lower case", pa_invoice(cig=("8814006bd6",)), "cig (CodiceCIG) '8814006bd6': write it as 8814006BD6"),
    ("CUP length", pa_invoice(cup=("J51B2000000000",)), "cup (CodiceCUP) 'J51B2000000000': CUP must be 15 characters"),
    (
        "codes without a document",
        pa_invoice(order_number=None),
        "CIG and CUP go in DatiOrdineAcquisto, whose IdDocumento needs order_number or buyer_reference",
    ),
    (
        "order number too long",
        invoice(order_number="ORD-2025-000123-RENEWAL"),
        "order_number (IdDocumento, CodicePagamento) has 23 characters, more than 20",
    ),
    # 00417 and 00300-00306: who the parties are
    (
        "buyer without VAT number or fiscal code",
        invoice(buyer=_buyer(vat=None)),
        "buyer needs a VAT number (buyer.vat, IdFiscaleIVA) or a fiscal code (buyer.fiscal_code, CodiceFiscale)",
    ),
    (
        "seller VAT check digit",
        invoice(seller=dataclasses.replace(SELLER, vat=TaxId("IT", "01234560158"))),
        "seller.vat (IdFiscaleIVA) '01234560158': VAT number check digit does not match",
    ),
    (
        "VAT number with its country",
        invoice(buyer=_buyer(vat=TaxId("IT", "IT09876540320"))),
        "buyer.vat (IdFiscaleIVA) 'IT09876540320' must be the 11 digits of the partita IVA, without IT",
    ),
    (
        "foreign VAT number with spaces",
        invoice(buyer=_buyer(vat=TaxId("DE", "123 456 789"), address=_address(country="DE"), recipient_code="XXXXXXX")),
        "buyer.vat (IdFiscaleIVA) '123 456 789' must be 1 to 28 capital letters or digits, without the country",
    ),
    (
        "country of a VAT number",
        invoice(buyer=_buyer(vat=TaxId("Italia", "09876540320"))),
        "buyer.vat (IdFiscaleIVA) country 'Italia' must be 2 capital letters (IT)",
    ),
    (
        "fiscal code check letter",
        invoice(buyer=_buyer(PERSON, fiscal_code="RSSMRA80A01H501X")),
        "buyer.fiscal_code (CodiceFiscale) 'RSSMRA80A01H501X': fiscal code check digit does not match",
    ),
    (
        "fiscal code in lower case",
        invoice(buyer=_buyer(PERSON, fiscal_code="rssmra80a01h501u")),
        "buyer.fiscal_code (CodiceFiscale) 'rssmra80a01h501u' must be 11 to 16 capital letters or digits",
    ),
    (
        "transmitter's fiscal code",
        invoice(transmitter=TaxId("IT", "RSSMRA80A01H501X")),
        "transmitter (IdTrasmittente) 'RSSMRA80A01H501X': fiscal code check digit does not match",
    ),
    (
        "tax regime",
        invoice(seller=dataclasses.replace(SELLER, tax_regime="RF03")),
        "seller.tax_regime (RegimeFiscale) 'RF03' is not one of RF01-RF19",
    ),
    # 00425 and the document's own fields
    ("number without digits", invoice(number="ABC"), "number (Numero) 'ABC' must hold at least one digit"),
    ("number too long", invoice(number="2025/FATTURA/000000001"), "number (Numero) has 22 characters, more than 20"),
    ("currency", invoice(currency="eur"), "currency (Divisa) 'eur' must be a 3-letter code such as EUR"),
    (
        "progressive of 6",
        invoice(progressive="000001"),
        "progressive (ProgressivoInvio) '000001' must be 1 to 5 letters or digits: it names the file",
    ),
    ("progressive with a sign", invoice(progressive="00-1"), "progressive (ProgressivoInvio) '00-1' must be 1 to 5"),
    # lines
    ("no lines", invoice(lines=()), "lines: an invoice needs at least one line"),
    (
        "rate as a fraction",
        invoice(lines=_line(vat_rate=Decimal("0.22"))),
        "line 1 vat_rate (AliquotaIVA) 0.22 is not a percentage",
    ),
    (
        "rate 0",
        invoice(lines=_line(vat_rate=Decimal("0"))),
        "line 1 vat_rate (AliquotaIVA) is 0: an exempt or non-taxable line needs a Natura code",
    ),
    (
        "rate over 100",
        invoice(lines=_line(vat_rate=Decimal("122"))),
        "line 1 vat_rate (AliquotaIVA) 122 must be a percentage between 0 and 100",
    ),
    (
        "rate decimals",
        invoice(lines=_line(vat_rate=Decimal("22.125"))),
        "line 1 vat_rate (AliquotaIVA) 22.125 has more than 2 decimal places",
    ),
    ("quantity 0", invoice(lines=_line(quantity=Decimal("0"))), "line 1 quantity (Quantita) 0 must be more than 0"),
    (
        "quantity decimals",
        invoice(lines=_line(quantity=Decimal("1.000000001"))),
        "line 1 quantity (Quantita) 1.000000001 has more than 8 decimal places",
    ),
    (
        "price not a number",
        invoice(lines=_line(unit_price=Decimal("NaN"))),
        "line 1 unit_price (PrezzoUnitario) NaN is not a finite number",
    ),
    (
        "amount too large",
        invoice(lines=_line(quantity=Decimal("100000"), unit_price=Decimal("10000000"))),
        "line 1 amount (PrezzoTotale) has more than 11 digits before the decimal point",
    ),
    (
        "period backwards",
        invoice(lines=_line(period_start=date(2026, 3, 1), period_end=date(2025, 3, 1))),
        "line 1 period_start 2026-03-01 is after period_end 2025-03-01",
    ),
    ("empty description", invoice(lines=_line(description="  ")), "line 1 description (Descrizione) is empty"),
    (
        "typographic apostrophe",
        invoice(lines=_line(description="Rinnovo dell’impianto")),
        "line 1 description (Descrizione) has the character '’' (U+2019), which the SdI refuses: only Latin-1",
    ),
    (
        "euro sign",
        invoice(lines=_line(description="Canone 10 €")),
        "line 1 description (Descrizione) has the character '€' (U+20AC)",
    ),
    (
        "line break",
        invoice(lines=_line(description="Rinnovo\nPortale")),
        "line 1 description (Descrizione) has the control character '\\n' (U+000A): write it on one line",
    ),
    (
        "description too long",
        invoice(lines=_line(description="x" * 1001)),
        "line 1 description (Descrizione) has 1001 characters, more than 1000",
    ),
    # names and addresses
    (
        "company name too long",
        invoice(buyer=_buyer(name="S" * 81)),
        "buyer.name (Denominazione) has 81 characters, more than 80",
    ),
    ("person's name", invoice(buyer=_buyer(PERSON, name=PersonName("", "Rossi"))), "buyer.name.first (Nome) is empty"),
    (
        "postcode",
        invoice(buyer=_buyer(address=_address(postcode="1012"))),
        "buyer.address.postcode (CAP) '1012' must be 5 digits",
    ),
    (
        "province",
        invoice(buyer=_buyer(address=_address(province="Torino"))),
        "buyer.address.province (Provincia) 'Torino' must be 2 capital letters",
    ),
    (
        "country",
        invoice(buyer=_buyer(address=_address(country="it"))),
        "buyer.address.country (Nazione) 'it' must be 2 capital letters",
    ),
    (
        "street number",
        invoice(buyer=_buyer(address=_address(number="5 bis scala B"))),
        "buyer.address.number (NumeroCivico) has 13 characters, more than 8",
    ),
    # payment
    (
        "IBAN check",
        pa_invoice(payment=BankTransfer("IT61X0542811101000000123456")),
        "payment.iban (IBAN) 'IT61X0542811101000000123456': IBAN",
    ),
    (
        "IBAN with spaces",
        pa_invoice(payment=BankTransfer("IT60 X054 2811 1010 0000 0123 456")),
        "payment.iban (IBAN) 'IT60 X054 2811 1010 0000 0123 456': write it as IT60X0542811101000000123456",
    ),
    (
        "due before the invoice",
        pa_invoice(payment=BankTransfer(due_date=date(2025, 2, 28))),
        "payment.due_date (DataScadenzaPagamento) 2025-02-28 is before issue_date 2025-03-01",
    ),
    # totals
    (
        "expected total",
        invoice(expected_total=Decimal("120.00")),
        "expected_total 120.00 differs from the total of the lines 146.40 (net 120.00 + VAT 26.40)",
    ),
    (
        "negative total",
        invoice(lines=_line(unit_price=Decimal("-10"))),
        "the total -12.20 is negative: an invoice (TD01) cannot be",
    ),
]


@pytest.mark.parametrize(("value", "expected"), [pytest.param(v, e, id=name) for name, v, e in CASES])
def test_each_problem_is_found_and_named(value: Invoice, expected: str) -> None:
    problems = sdi_problems(value)
    assert [p for p in problems if p.startswith(expected)], problems


@pytest.mark.parametrize(("value", "expected"), [pytest.param(v, e, id=name) for name, v, e in CASES])
def test_the_builder_refuses_each_problem_with_its_sentence(value: Invoice, expected: str) -> None:
    with pytest.raises(InvoiceError) as caught:
        build_invoice_xml(value)
    assert any(p.startswith(expected) for p in caught.value.problems)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(invoice(expected_total=Decimal("146.40")), id="expected total met"),
        pytest.param(pa_invoice(cig=(), cup=(), cig_exempt=True), id="administration exempt from CIG"),
        pytest.param(invoice(buyer=_buyer(PERSON, pec=None)), id="0000000 without PEC: the buyer's tax drawer"),
        pytest.param(invoice(split_payment=True), id="split payment to a company (listed or state-owned)"),
        pytest.param(invoice(cig=(CIG,)), id="a CIG on a company's invoice"),
        pytest.param(invoice(lines=_line(vat_rate=Decimal("5.5"))), id="rate with decimals"),
        pytest.param(
            invoice(lines=(RENEWAL, dataclasses.replace(RENEWAL, unit_price=Decimal("-20")))), id="discount line"
        ),
        pytest.param(invoice(lines=_line(description="Attività di manutenzione ÀÈÌÒÙ ç ß ±")), id="Latin-1 letters"),
        pytest.param(invoice(transmitter=TaxId("IT", "01234560157")), id="transmitter by its 11 digits"),
    ],
)
def test_what_the_sdi_accepts_is_no_problem(value: Invoice) -> None:
    assert sdi_problems(value) == []
    assert build_invoice_xml(value)


def test_every_problem_is_listed_not_only_the_first() -> None:
    value = invoice(number="X", progressive="", lines=_line(vat_rate=Decimal("0.22"), description="a’b"))
    problems = sdi_problems(value)

    assert [p.split(" ")[0] for p in problems] == ["number", "progressive", "line", "line"]


def test_totals_are_not_judged_while_a_line_is_broken() -> None:
    assert sdi_problems(invoice(lines=_line(quantity=Decimal("Infinity")), expected_total=Decimal("1"))) == [
        "line 1 quantity (Quantita) Infinity is not a finite number"
    ]
