"""Bank statements read from the files in tests/statements: camt.053 001.02 and 001.08 of Italian
banks, MT940 in the Italian (free text) and the German (``?``-subfields) style, and the keys that let
a statement be imported again, or an overlapping one, without applying anything twice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from mailbot.billing.statements import Statement, detect_format, parse_statement, parse_statements
from mailbot.errors import InputError

FILES = Path(__file__).parent / "statements"
OUR_IBAN = "IT02X0503401633000000012345"


def read(name: str) -> tuple[Statement, ...]:
    return parse_statements((FILES / name).read_bytes(), name)


def test_camt053_001_02_of_an_italian_bank() -> None:
    (statement,) = read("camt053_001_02_bpm.xml")
    assert (statement.format, statement.account, statement.statement_id) == (
        "camt.053.001.02",
        OUR_IBAN,
        "0503401633-20260305-045",
    )
    assert (statement.currency, statement.opening_cents, statement.closing_cents) == ("EUR", 1523040, 1725290)
    rossi, comune, fee, bianchi, verdi = statement.lines  # the pending entry (PDNG) is left out
    assert rossi.amount_cents == 122000
    assert rossi.remittance == "Pagamento ordine ORD-2026-000123 CIG Z213346E34"
    assert (rossi.payer_name, rossi.payer_iban) == ("ROSSI MARIO S.R.L.", "IT86S0306909606100000063527")
    assert rossi.bank_reference == "0305BPM0012345601"
    assert rossi.key == f"{OUR_IBAN}/ref/0305BPM0012345601"
    assert (rossi.booking_date, rossi.value_date) == (date(2026, 3, 5), date(2026, 3, 5))
    assert rossi.where == "statement 0503401633-20260305-045, entry 1"
    # two Ustrd parts joined by a space; the value date before the booking date
    assert "ORD-2026-0001 24 CIG 8814006BD6" in comune.remittance
    assert comune.value_date == date(2026, 3, 4)
    # a fee: a debit, with the entry's text and no reference (so its key is a digest)
    assert (fee.amount_cents, fee.remittance, fee.bank_reference) == (-250, "COMMISSIONI SU BONIFICI IN ENTRATA", "")
    assert fee.key.startswith(f"{OUR_IBAN}/sha/")
    # a batch entry of two credits: one line each, with its own amount and payer
    assert [(bianchi.amount_cents, bianchi.payer_name), (verdi.amount_cents, verdi.payer_name)] == [
        (24400, "Studio Bianchi Associati"),
        (6100, "VERDI ANNA"),
    ]
    assert verdi.where.endswith("entry 5, transaction 2")
    # they share the entry's reference, so the reference alone cannot tell them apart
    assert bianchi.bank_reference == verdi.bank_reference == "0305BPM0012345603"
    assert bianchi.key != verdi.key and "/sha/" in bianchi.key


def test_camt053_001_08_of_an_italian_bank() -> None:
    (statement,) = read("camt053_001_08_isp.xml")
    assert statement.format == "camt.053.001.08"
    assert (statement.opening_cents, statement.closing_cents) == (1725290, 1660690)  # PRCD as the opening
    first, twin, acme, rent = statement.lines
    assert first.booking_date == date(2026, 3, 6)  # from BookgDt/DtTm
    assert first.payer_name == "Bianchi Luca"  # Dbtr/Pty/Nm, spacing tidied
    assert first.payer_iban == "IT60X0542811101000000123456"  # written in groups of four
    assert first.bank_reference == ""  # NOTPROVIDED is no reference
    # two identical transfers on one day stay two lines with two keys
    assert (twin.amount_cents, twin.remittance) == (first.amount_cents, first.remittance)
    assert twin.key != first.key
    # the structured creditor reference comes after the unstructured text
    assert acme.remittance == "ORD2026000128 Canone annuale caselle PEC"
    assert acme.key == f"{OUR_IBAN}/ref/ISP0306A77120045"
    # a debit names the payee as the other party
    assert (rent.amount_cents, rent.payer_name) == (-150000, "Immobiliare Ticino S.r.l.")


def test_mt940_of_an_italian_bank_in_a_swift_envelope() -> None:
    (statement,) = read("mt940_cbi.sta")
    assert (statement.format, statement.account, statement.statement_id) == ("mt940", OUR_IBAN, "0503401633000047 47/1")
    assert (statement.opening_cents, statement.closing_cents) == (1660690, 1812440)
    rossi, fee, neri = statement.lines
    assert rossi.amount_cents == 122000
    assert rossi.booking_date == rossi.value_date == date(2026, 3, 9)
    # 65-character lines cut by the bank are joined without a space: the order number is whole again
    assert "CAUSALE: PAGAMENTO ORDINE ORD-2026-000123 CIG Z213346E34" in rossi.remittance
    assert "IBAN ORDINANTE: IT86S" in rossi.remittance
    assert rossi.key == f"{OUR_IBAN}/ref/0309CRO4511223"
    assert rossi.where == "statement 0503401633000047 47/1, line 6"
    assert (fee.amount_cents, fee.bank_reference) == (-250, "")
    # shorter lines ended at a word: joined with a space
    assert (
        neri.remittance
        == "048 BONIFICO A VOSTRO FAVORE DA: NERI PAOLO CAUSALE: ACCONTO ORD-2026-000129 RINNOVO CASELLA PEC"
    )
    assert neri.payer_name == ""  # free text: the payer is not guessed from it


def test_mt940_in_the_german_style_with_two_statements() -> None:
    first, second = read("mt940_german.sta")
    assert first.account == second.account == "37040044/0532013000"  # BLZ/account, no IBAN to read
    assert [first.statement_id, second.statement_id] == ["STARTUMSE 00058/001", "STARTUMSE 00059/001"]
    (credit,) = first.lines
    assert credit.amount_cents == 45000
    assert credit.remittance == "Zahlung Bestellung ORD-2026-000130 Danke"  # SVWZ+ over ?21 and ?22
    assert (credit.payer_name, credit.payer_iban) == ("MUSTERMANN GMBH", "DE44500105175407324931")
    debit, other = second.lines
    assert (debit.amount_cents, debit.remittance, debit.bank_reference) == (
        -1990,
        "Telefon Maerz 2026",
        "TEL-2026-03-0815",
    )
    assert other.remittance == "Rechnung 77 Cloud-Archiv Maerz"
    assert other.key == "37040044/0532013000/ref/DE26031100451"


def test_mt940_reversals_and_the_booking_date_across_new_year() -> None:
    data = (
        b":20:REV\r\n:25:IT02X0503401633000000012345EUR\r\n:28C:1/1\r\n:60F:C251231EUR100,00\r\n"
        b":61:2601021231RD10,00NTRFNONREF//R1\r\n:86:STORNO ADDEBITO\r\n"
        b":61:2601021231RC4,50NTRFNONREF//R2\r\n:86:STORNO ACCREDITO\r\n"
        b":62F:C260102EUR105,50\r\n-\r\n"
    )
    (statement,) = parse_statements(data, "rev.sta")
    assert statement.account == OUR_IBAN  # the currency after the IBAN is dropped
    debit_reversed, credit_reversed = statement.lines
    assert (debit_reversed.amount_cents, credit_reversed.amount_cents) == (1000, -450)
    assert debit_reversed.booking_date == date(2025, 12, 31)
    assert debit_reversed.value_date == date(2026, 1, 2)


@pytest.mark.parametrize(
    "name",
    ["camt053_001_02_bpm.xml", "camt053_001_08_isp.xml", "mt940_cbi.sta", "mt940_german.sta"],
)
def test_keys_are_the_same_when_the_file_is_read_again(name: str) -> None:
    first, again = read(name), read(name)
    assert first == again
    keys = [line.key for statement in first for line in statement.lines]
    assert len(keys) == len(set(keys))


def test_keys_do_not_depend_on_the_file_name_or_the_statement_id() -> None:
    data = (FILES / "camt053_001_08_isp.xml").read_bytes()
    renamed = data.replace(b"<Id>2026030600000046</Id>", b"<Id>RESENT-46</Id>")
    keys = [line.key for line in parse_statement(data, "a.xml").lines]
    assert [line.key for line in parse_statement(renamed, "b.xml").lines] == keys


def test_overlapping_statements_give_the_shared_day_the_same_keys() -> None:
    (early,) = read("camt053_overlap_0302_0303.xml")
    (late,) = read("camt053_overlap_0303_0304.xml")
    shared = [line for line in early.lines if line.booking_date == date(2026, 3, 3)]
    assert [line.key for line in shared] == [line.key for line in late.lines[:3]]
    assert shared[0].key != shared[1].key  # the two identical transfers, told apart by position
    assert {line.key for line in early.lines} & {line.key for line in late.lines} == {line.key for line in shared}


def test_identical_lines_on_two_pages_of_one_statement_keep_two_keys() -> None:
    page = (
        ":20:0503401633000048\r\n:25:IT02X0503401633000000012345\r\n:28C:48/{page}\r\n:60{o}:C260310EUR{start}\r\n"
        ":61:2603100310C30,00NTRFNONREF\r\n:86:QUOTA SPAZIO ARCHIVIO\r\n:62{c}:C260310EUR{end}\r\n-\r\n"
    )
    data = page.format(page=1, o="F", start="100,00", c="M", end="130,00") + page.format(
        page=2, o="M", start="130,00", c="F", end="160,00"
    )
    first, second = parse_statements(data.encode(), "pages.sta")
    assert first.lines[0].remittance == second.lines[0].remittance
    assert first.lines[0].key != second.lines[0].key


def test_the_format_is_told_by_the_content() -> None:
    assert detect_format(b"\xef\xbb\xbf  <?xml version='1.0'?><Document/>") == "camt.053"
    assert detect_format(b"\r\n:20:STARTUMSE\r\n") == "mt940"
    assert detect_format(b"{1:F01BAPPIT21AXXX0000000000}{2:O940}{4:\r\n:20:X") == "mt940"
    assert detect_format(b"Data;Importo;Causale\n") is None


def test_parse_statement_wants_exactly_one() -> None:
    data = (FILES / "mt940_german.sta").read_bytes()
    with pytest.raises(InputError, match=r"mt940_german\.sta: holds 2 statements"):
        parse_statement(data, "mt940_german.sta")
    assert parse_statement((FILES / "mt940_cbi.sta").read_bytes(), "x").statement_id == "0503401633000047 47/1"
