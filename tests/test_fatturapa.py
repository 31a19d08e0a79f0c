"""FatturaPA XML built from invoice values: the formats, the codes, the arithmetic. Every XML built here
is validated against the official schema beside the checkout (skipped with its reason where absent)
and against the copy packaged with mailbot."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.billing.fatturapa import (
    BankTransfer,
    Buyer,
    Invoice,
    InvoiceError,
    Line,
    TaxId,
    build_invoice_xml,
    invoice_totals,
    line_amount,
    schema_errors,
    sdi_problems,
    split_payment_applies,
    to_cents,
)
from mailbot.billing.fatturapa_schema import SCHEMA_FOLDER
from mailbot.billing.fatturapa_values import Address
from mailbot.errors import InputError
from tests.support.invoices import (
    CIG,
    COMPANY,
    CUP,
    IBAN,
    PA,
    PERSON,
    SHARED_SCHEMA,
    SMART_CIG,
    invoice,
    pa_invoice,
)

SCHEMAS = [
    pytest.param(SCHEMA_FOLDER, id="packaged"),
    pytest.param(
        SHARED_SCHEMA,
        id="shared",
        marks=pytest.mark.skipif(not SHARED_SCHEMA.is_dir(), reason=f"official schema not found at {SHARED_SCHEMA}"),
    ),
]


@pytest.fixture(params=SCHEMAS)
def schema(request: pytest.FixtureRequest) -> Path:
    folder: Path = request.param
    return folder


def built(value: Invoice, schema: Path) -> ET.Element:
    """The invoice's XML, valid against ``schema``, parsed back."""
    xml = build_invoice_xml(value)
    assert schema_errors(xml, schema) == []
    return ET.fromstring(xml)


def texts(root: ET.Element, path: str) -> list[str]:
    return [element.text or "" for element in root.iterfind(path)]


def text(root: ET.Element, path: str) -> str:
    found = texts(root, path)
    assert len(found) == 1, (path, found)
    return found[0]


TRANSMISSION = "FatturaElettronicaHeader/DatiTrasmissione"
BUYER = "FatturaElettronicaHeader/CessionarioCommittente/DatiAnagrafici"
DOCUMENT = "FatturaElettronicaBody/DatiGenerali/DatiGeneraliDocumento"
ORDERS = "FatturaElettronicaBody/DatiGenerali/DatiOrdineAcquisto"
LINES = "FatturaElettronicaBody/DatiBeniServizi/DettaglioLinee"
SUMMARY = "FatturaElettronicaBody/DatiBeniServizi/DatiRiepilogo"
PAYMENT = "FatturaElettronicaBody/DatiPagamento"


def test_a_public_administration_gets_fpa12_with_split_payment_cig_and_cup(schema: Path) -> None:
    root = built(pa_invoice(), schema)

    assert root.tag == "{http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2}FatturaElettronica"
    assert root.get("versione") == "FPA12"
    assert text(root, f"{TRANSMISSION}/FormatoTrasmissione") == "FPA12"
    assert text(root, f"{TRANSMISSION}/CodiceDestinatario") == "UFE3X1"
    assert texts(root, f"{TRANSMISSION}/PECDestinatario") == []
    assert text(root, f"{TRANSMISSION}/ProgressivoInvio") == "00001"
    assert text(root, f"{BUYER}/CodiceFiscale") == "80012340016"
    assert text(root, f"{ORDERS}/IdDocumento") == "ORD-2025-000123"
    assert text(root, f"{ORDERS}/CodiceCIG") == CIG
    assert text(root, f"{ORDERS}/CodiceCUP") == CUP
    assert texts(root, f"{SUMMARY}/EsigibilitaIVA") == ["S"]
    assert text(root, f"{DOCUMENT}/ImportoTotaleDocumento") == "146.40"
    # the administration pays the seller the net amount; the VAT goes to the State
    assert text(root, f"{PAYMENT}/CondizioniPagamento") == "TP02"
    assert text(root, f"{PAYMENT}/DettaglioPagamento/ModalitaPagamento") == "MP05"
    assert text(root, f"{PAYMENT}/DettaglioPagamento/ImportoPagamento") == "120.00"
    assert text(root, f"{PAYMENT}/DettaglioPagamento/IBAN") == IBAN
    assert text(root, f"{PAYMENT}/DettaglioPagamento/DataScadenzaPagamento") == "2025-04-30"
    assert text(root, f"{PAYMENT}/DettaglioPagamento/CodicePagamento") == "ORD-2025-000123"


def test_a_company_gets_fpr12_with_its_recipient_code_and_immediate_vat(schema: Path) -> None:
    root = built(invoice(), schema)

    assert root.get("versione") == "FPR12"
    assert text(root, f"{TRANSMISSION}/FormatoTrasmissione") == "FPR12"
    assert text(root, f"{TRANSMISSION}/CodiceDestinatario") == "M5UXCR1"
    assert texts(root, f"{TRANSMISSION}/PECDestinatario") == []
    assert text(root, f"{BUYER}/IdFiscaleIVA/IdPaese") == "IT"
    assert text(root, f"{BUYER}/IdFiscaleIVA/IdCodice") == "09876540320"
    assert text(root, f"{BUYER}/Anagrafica/Denominazione") == "Rossi Impianti S.p.A."
    assert texts(root, f"{SUMMARY}/EsigibilitaIVA") == ["I"]
    assert texts(root, ORDERS) == []  # no CIG, CUP or buyer's reference: no purchase order block
    assert texts(root, PAYMENT) == []  # no payment terms given


def test_a_person_by_pec_gets_fpr12_with_0000000_and_the_pec_address(schema: Path) -> None:
    root = built(invoice(buyer=PERSON, payment=BankTransfer(IBAN)), schema)

    assert text(root, f"{TRANSMISSION}/FormatoTrasmissione") == "FPR12"
    assert text(root, f"{TRANSMISSION}/CodiceDestinatario") == "0000000"
    assert text(root, f"{TRANSMISSION}/PECDestinatario") == "mario.rossi@pec.example.it"
    assert texts(root, f"{BUYER}/IdFiscaleIVA") == []
    assert text(root, f"{BUYER}/CodiceFiscale") == "RSSMRA80A01H501U"
    assert text(root, f"{BUYER}/Anagrafica/Nome") == "Mario"
    assert text(root, f"{BUYER}/Anagrafica/Cognome") == "Rossi"
    assert text(root, f"{PAYMENT}/DettaglioPagamento/ImportoPagamento") == "146.40"
    assert texts(root, f"{PAYMENT}/DettaglioPagamento/DataScadenzaPagamento") == []


def test_a_buyer_abroad_gets_xxxxxxx_and_its_own_country(schema: Path) -> None:
    abroad = Buyer(
        name="Beispiel GmbH",
        address=Address("Hauptstrasse", "00000", "Berlin", country="DE", number="7"),
        recipient_code="XXXXXXX",
        vat=TaxId("DE", "123456789"),
    )
    root = built(invoice(buyer=abroad), schema)

    assert text(root, f"{TRANSMISSION}/CodiceDestinatario") == "XXXXXXX"
    assert text(root, f"{BUYER}/IdFiscaleIVA/IdPaese") == "DE"
    assert text(root, "FatturaElettronicaHeader/CessionarioCommittente/Sede/Nazione") == "DE"


def test_one_summary_per_vat_rate_in_the_order_the_rates_appear(schema: Path) -> None:
    lines = (
        Line("Portale", Decimal("2"), Decimal("50.00"), Decimal("22")),
        Line("Libro", Decimal("1"), Decimal("19.90"), Decimal("4")),
        Line("Servizio", Decimal("3"), Decimal("10.10"), Decimal("10")),
        Line("Spazio", Decimal("1"), Decimal("0.99"), Decimal("22.00")),
    )
    root = built(invoice(lines=lines), schema)

    assert texts(root, f"{SUMMARY}/AliquotaIVA") == ["22.00", "4.00", "10.00"]
    assert texts(root, f"{SUMMARY}/ImponibileImporto") == ["100.99", "19.90", "30.30"]
    assert texts(root, f"{SUMMARY}/Imposta") == ["22.22", "0.80", "3.03"]  # 22.2178, 0.796, 3.03
    assert text(root, f"{DOCUMENT}/ImportoTotaleDocumento") == "177.24"
    assert texts(root, f"{LINES}/NumeroLinea") == ["1", "2", "3", "4"]
    assert texts(root, f"{LINES}/PrezzoTotale") == ["100.00", "19.90", "30.30", "0.99"]


@pytest.mark.parametrize(
    ("lines", "line_totals", "taxable", "vat", "total"),
    [
        # 3 x 33.33 = 99.99; 22 % of it is 21.9978
        ([("3", "33.33", "22")], ["99.99"], ["99.99"], ["22.00"], "121.99"),
        # 10 % of 0.05 is 0.005: half-up gives 0.01 where half-even would give 0.00
        ([("1", "0.05", "10")], ["0.05"], ["0.05"], ["0.01"], "0.06"),
        # 0.125 is rounded half-up to 0.13, 1.5 x 0.125 = 0.1875 to 0.19
        ([("1", "0.125", "22"), ("1.5", "0.125", "22")], ["0.13", "0.19"], ["0.32"], ["0.07"], "0.39"),
        # VAT is computed on each rate's taxable amount, not per line: 10 % of 0.15 is 0.015 -> 0.02,
        # where line by line it would be 3 x (0.005 -> 0.01) = 0.03
        ([("1", "0.05", "10")] * 3, ["0.05"] * 3, ["0.15"], ["0.02"], "0.17"),
        # quantities and prices with many decimals
        ([("0.333", "12.34567891", "22")], ["4.11"], ["4.11"], ["0.90"], "5.01"),
    ],
)
def test_amounts_are_rounded_half_up_to_the_cent_as_the_sdi_checks_them(
    schema: Path,
    lines: list[tuple[str, str, str]],
    line_totals: list[str],
    taxable: list[str],
    vat: list[str],
    total: str,
) -> None:
    value = invoice(lines=tuple(Line("Voce", Decimal(q), Decimal(p), Decimal(r)) for q, p, r in lines))
    root = built(value, schema)

    assert texts(root, f"{LINES}/PrezzoTotale") == line_totals
    assert texts(root, f"{SUMMARY}/ImponibileImporto") == taxable
    assert texts(root, f"{SUMMARY}/Imposta") == vat
    assert text(root, f"{DOCUMENT}/ImportoTotaleDocumento") == total


def test_numbers_are_written_with_the_decimals_the_schema_wants(schema: Path) -> None:
    lines = (
        Line("Voce", Decimal("1E+2"), Decimal("0.12345678"), Decimal("22")),
        Line("Voce", Decimal("2.50000"), Decimal("7"), Decimal("5.5")),
        Line("Sconto", Decimal("1"), Decimal("-5.00"), Decimal("22")),
    )
    root = built(invoice(lines=lines), schema)

    assert texts(root, f"{LINES}/Quantita") == ["100.00", "2.50", "1.00"]
    assert texts(root, f"{LINES}/PrezzoUnitario") == ["0.12345678", "7.00", "-5.00"]
    assert texts(root, f"{LINES}/PrezzoTotale") == ["12.35", "17.50", "-5.00"]
    assert texts(root, f"{LINES}/AliquotaIVA") == ["22.00", "5.50", "22.00"]


def test_the_service_period_of_a_line_is_written(schema: Path) -> None:
    line = dataclasses.replace(invoice().lines[0], period_start=date(2025, 3, 1), period_end=date(2026, 2, 28))
    root = built(invoice(lines=(line,)), schema)

    assert text(root, f"{LINES}/DataInizioPeriodo") == "2025-03-01"
    assert text(root, f"{LINES}/DataFinePeriodo") == "2026-02-28"


def test_text_is_escaped_and_latin_1_letters_kept(schema: Path) -> None:
    line = dataclasses.replace(invoice().lines[0], description='Canone <Portale> & "servizi" - attività, qualità')
    root = built(invoice(lines=(line,)), schema)

    assert text(root, f"{LINES}/Descrizione") == 'Canone <Portale> & "servizi" - attività, qualità'


def test_split_payment_applies_only_to_its_customers_and_until_its_end_date() -> None:
    end = date(2026, 6, 30)
    assert split_payment_applies(True, date(2026, 6, 30), end)
    assert not split_payment_applies(True, date(2026, 7, 1), end)
    assert split_payment_applies(True, date(2030, 1, 1), None)
    assert not split_payment_applies(False, date(2025, 1, 1), end)
    assert not split_payment_applies(False, date(2025, 1, 1), None)


def test_after_the_end_of_split_payment_the_vat_is_immediate_and_paid_in_full(schema: Path) -> None:
    day = date(2026, 7, 1)
    value = pa_invoice(
        issue_date=day,
        split_payment=split_payment_applies(True, day, date(2026, 6, 30)),
        payment=BankTransfer(IBAN, date(2026, 8, 30)),
    )
    root = built(value, schema)

    assert texts(root, f"{SUMMARY}/EsigibilitaIVA") == ["I"]
    assert texts(root, f"{SUMMARY}/RiferimentoNormativo") == []
    assert text(root, f"{PAYMENT}/DettaglioPagamento/ImportoPagamento") == "146.40"
    assert text(root, f"{TRANSMISSION}/FormatoTrasmissione") == "FPA12"  # still an administration


def test_chargeability_is_s_exactly_under_split_payment(schema: Path) -> None:
    for value in (pa_invoice(), pa_invoice(split_payment=False), invoice(), invoice(split_payment=True)):
        root = built(value, schema)
        expected = "S" if value.split_payment else "I"
        assert set(texts(root, f"{SUMMARY}/EsigibilitaIVA")) == {expected}


def test_the_buyers_reference_is_the_order_document_and_each_cig_has_its_block(schema: Path) -> None:
    value = pa_invoice(buyer_reference="DET-2025/412", cig=(CIG, SMART_CIG), cup=(CUP,))
    root = built(value, schema)

    assert texts(root, f"{ORDERS}/IdDocumento") == ["DET-2025/412", "DET-2025/412"]
    assert texts(root, f"{ORDERS}/CodiceCIG") == [CIG, SMART_CIG]
    assert texts(root, f"{ORDERS}/CodiceCUP") == [CUP]  # in the first block only
    # the provider's order number stays the payment reference
    assert text(root, f"{PAYMENT}/DettaglioPagamento/CodicePagamento") == "ORD-2025-000123"


def test_a_buyers_reference_alone_makes_one_order_block(schema: Path) -> None:
    root = built(invoice(buyer_reference="PO 4500012345"), schema)

    assert texts(root, f"{ORDERS}/IdDocumento") == ["PO 4500012345"]
    assert texts(root, f"{ORDERS}/CodiceCIG") == []


def test_a_public_administration_exempt_from_cig_gets_no_order_block(schema: Path) -> None:
    root = built(pa_invoice(cig=(), cup=(), cig_exempt=True), schema)

    assert texts(root, ORDERS) == []


def test_an_intermediary_transmits_under_its_own_code(schema: Path) -> None:
    root = built(invoice(transmitter=TaxId("IT", "RSSMRA80A01H501U")), schema)

    assert text(root, f"{TRANSMISSION}/IdTrasmittente/IdCodice") == "RSSMRA80A01H501U"
    assert (
        text(root, "FatturaElettronicaHeader/CedentePrestatore/DatiAnagrafici/IdFiscaleIVA/IdCodice") == "01234560157"
    )


def test_the_same_invoice_gives_the_same_bytes() -> None:
    assert build_invoice_xml(pa_invoice()) == build_invoice_xml(pa_invoice())
    assert build_invoice_xml(pa_invoice()).startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<p:FatturaElettronica ')


def test_an_invoice_with_problems_is_refused_with_all_of_them() -> None:
    bad = pa_invoice(buyer=dataclasses.replace(PA, recipient_code="M5UXCR1"), number="ABC", cig=())
    problems = sdi_problems(bad)
    assert len(problems) == 3

    with pytest.raises(InvoiceError) as caught:
        build_invoice_xml(bad)
    assert isinstance(caught.value, InputError)
    assert caught.value.problems == tuple(problems)
    assert str(caught.value).startswith("the invoice cannot be issued: buyer.recipient_code (CodiceDestinatario)")


def test_an_xml_the_schema_refuses_is_not_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should a rule be missing from sdi_problems, the schema still stops the file."""
    monkeypatch.setattr("mailbot.billing.fatturapa.sdi_problems", lambda value: [])
    broken = invoice(buyer=dataclasses.replace(COMPANY, address=Address("Via Po", "1012", "Torino")))

    with pytest.raises(InvoiceError) as caught:
        build_invoice_xml(broken)
    [problem] = caught.value.problems
    assert problem.startswith(
        "the XML breaks the FatturaPA schema at /p:FatturaElettronica/FatturaElettronicaHeader/"
        "CessionarioCommittente/Sede/CAP: "
    )


def test_the_sample_buyers_have_no_problems() -> None:
    for buyer in (PA, COMPANY, PERSON):
        assert sdi_problems(pa_invoice(buyer=buyer, split_payment=buyer is PA)) == []


# Any quantities and prices the schema can carry: up to 8 decimals, amounts up to 11 digits.
quantities = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("10000"), places=8)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=8)
rates = st.one_of(
    st.sampled_from([Decimal("4"), Decimal("5"), Decimal("10"), Decimal("22")]),
    st.decimals(min_value=Decimal("1"), max_value=Decimal("100"), places=2),
)
lines = st.lists(st.builds(Line, st.just("Voce"), quantities, prices, rates), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(lines=lines, split=st.booleans())
def test_totals_are_the_lines_plus_vat_in_cents_for_any_amounts(lines: list[Line], split: bool) -> None:
    value = pa_invoice(lines=tuple(lines), split_payment=split)
    totals = invoice_totals(value)

    amounts = [line_amount(line) for line in lines]
    for line, amount in zip(lines, amounts, strict=True):
        assert abs(amount - line.quantity * line.unit_price) <= Decimal("0.005")
    for summary in totals.summaries:
        mine = [a for line, a in zip(lines, amounts, strict=True) if line.vat_rate == summary.rate]
        assert summary.taxable == sum(mine)
        assert summary.vat == to_cents(summary.taxable * summary.rate / 100)
    assert len({s.rate for s in totals.summaries}) == len(totals.summaries)
    assert totals.net == sum(amounts)
    assert totals.vat == sum(s.vat for s in totals.summaries)
    assert totals.total == totals.net + totals.vat
    assert totals.due == (totals.net if split else totals.total)
    for amount in (*amounts, totals.net, totals.vat, totals.total, totals.due):
        assert amount.as_tuple().exponent == -2


@settings(max_examples=40, deadline=None)
@given(lines=lines)
def test_the_xml_totals_add_up_for_any_amounts(lines: list[Line]) -> None:
    root = ET.fromstring(build_invoice_xml(invoice(lines=tuple(lines))))  # valid against the packaged schema

    line_totals = [Decimal(t) for t in texts(root, f"{LINES}/PrezzoTotale")]
    taxable = [Decimal(t) for t in texts(root, f"{SUMMARY}/ImponibileImporto")]
    vat = [Decimal(t) for t in texts(root, f"{SUMMARY}/Imposta")]
    assert sum(line_totals) == sum(taxable)
    assert Decimal(text(root, f"{DOCUMENT}/ImportoTotaleDocumento")) == sum(taxable) + sum(vat)
