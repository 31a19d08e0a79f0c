"""Electronic invoices for the FatturaPA tests: a provider, three kinds of buyer, and where the official
schema is kept (``../shared/standards/fatturapa``). Every identifier here passes its check digit."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from mailbot.billing.fatturapa import Address, BankTransfer, Buyer, Invoice, Line, PersonName, Seller, TaxId

SHARED_SCHEMA = Path(__file__).parents[3] / "shared" / "standards" / "fatturapa"  # beside the checkout

SELLER = Seller(
    name="Example S.r.l.",
    vat=TaxId("IT", "01234560157"),
    fiscal_code="01234560157",
    address=Address("Via Roma", "00184", "Roma", "RM", number="10"),
)
PA = Buyer(
    name="Comune di Esempio - Ufficio Tributi",
    address=Address("Piazza del Municipio", "20121", "Milano", "MI", number="1"),
    recipient_code="UFE3X1",
    public_administration=True,
    fiscal_code="80012340016",
)
COMPANY = Buyer(
    name="Rossi Impianti S.p.A.",
    address=Address("Via Garibaldi", "10121", "Torino", "TO", number="5/B"),
    recipient_code="M5UXCR1",
    vat=TaxId("IT", "09876540320"),
)
PERSON = Buyer(
    name=PersonName("Mario", "Rossi"),
    address=Address("Via Dante", "50122", "Firenze", "FI", number="3"),
    recipient_code="0000000",
    fiscal_code="RSSMRA80A01H501U",
    pec="mario.rossi@pec.example.it",
)
CIG = "8814006BD6"  # ordinary family (DOMAIN.md)
SMART_CIG = "Z213346E34"
CUP = "J51B20000000001"
IBAN = "IT60X0542811101000000123456"
RENEWAL = Line("Rinnovo Portale Impianti, 1 anno", Decimal("1"), Decimal("120.00"), Decimal("22"))


def invoice(**changes: Any) -> Invoice:
    """A plain invoice to a company, one line at 22 %; ``changes`` replace its fields."""
    base = Invoice(
        seller=SELLER,
        buyer=COMPANY,
        number="2025/0001",
        issue_date=date(2025, 3, 1),
        progressive="00001",
        lines=(RENEWAL,),
        order_number="ORD-2025-000123",
    )
    return dataclasses.replace(base, **changes)


def pa_invoice(**changes: Any) -> Invoice:
    """An invoice to a public administration under split payment, with its CIG and CUP, paid by transfer."""
    base = invoice(
        buyer=PA,
        split_payment=True,
        cig=(CIG,),
        cup=(CUP,),
        payment=BankTransfer(IBAN, date(2025, 4, 30)),
    )
    return dataclasses.replace(base, **changes)
