"""Statement files that are wrong or hostile: an XML entity bomb, an external entity, an MT940 cut
short, amounts that do not add up, fields that do not read. Each is an ``InputError`` naming the file,
the line or the entry and what is wrong; never a traceback, never a file or a URL opened."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.billing.statements import parse_statements
from mailbot.errors import InputError

FILES = Path(__file__).parent / "statements"
CAMT_02 = (FILES / "camt053_001_02_bpm.xml").read_bytes()
CAMT_08 = (FILES / "camt053_001_08_isp.xml").read_bytes()
MT940 = (FILES / "mt940_cbi.sta").read_bytes()


def error_of(data: bytes, name: str = "statement.dat") -> str:
    with pytest.raises(InputError) as caught:
        parse_statements(data, name)
    return str(caught.value)


def test_an_entity_bomb_is_refused_at_once() -> None:
    started = time.perf_counter()
    message = error_of((FILES / "camt053_entity_bomb.xml").read_bytes(), "bomb.xml")
    assert message.startswith("bomb.xml: the XML declares a DTD")
    assert time.perf_counter() - started < 1


def test_an_external_entity_is_refused_without_opening_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the parser tried to connect")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    message = error_of((FILES / "camt053_external_entity.xml").read_bytes(), "xxe.xml")
    assert message.startswith("xxe.xml: the XML declares a DTD")
    assert "root:" not in message  # nothing of /etc/passwd


def test_a_truncated_mt940_says_it_may_be_cut_short() -> None:
    message = error_of((FILES / "mt940_truncated.sta").read_bytes(), "cut.sta")
    assert (
        message == "cut.sta: statement 0503401633000047 (line 2): no closing balance (:62F:): the file may be cut short"
    )


def test_an_mt940_whose_lines_do_not_reach_the_closing_balance() -> None:
    message = error_of((FILES / "mt940_wrong_amounts.sta").read_bytes(), "wrong.sta")
    assert message == (
        "wrong.sta: statement 0503401633000047 (line 2): the :61: lines add up to 1497.50, but the balance goes "
        "from 16606.90 (:60F:) to 18124.40 (:62F:, line 16)"
    )


def test_a_camt_batch_whose_transactions_do_not_add_up() -> None:
    message = error_of((FILES / "camt053_wrong_amounts.xml").read_bytes(), "wrong.xml")
    assert message == (
        "wrong.xml: statement 0503401633-20260305-045, entry 5: its 2 transactions add up to 260.00, "
        "but the entry books 305.00"
    )


def test_a_camt_whose_entries_do_not_reach_the_closing_balance() -> None:
    data = CAMT_08.replace(b'<Amt Ccy="EUR">610.00</Amt>', b'<Amt Ccy="EUR">601.00</Amt>')
    assert error_of(data, "s.xml") == (
        "s.xml: statement 2026030600000046: the booked entries add up to -655.00, "
        "but the balance goes from 17252.90 to 16606.90"
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            b'<Amt Ccy="EUR">1220.00</Amt>\n        <CdtDbtInd>CRDT',
            b'<Amt Ccy="EUR">1.220,00</Amt>\n        <CdtDbtInd>CRDT',
            "entry 1: amount '1.220,00' is not a number of at most 2 decimals",
        ),
        (
            b'<Amt Ccy="EUR">1220.00</Amt>\n        <CdtDbtInd>CRDT',
            b'<Amt Ccy="EUR">1220.005</Amt>\n        <CdtDbtInd>CRDT',
            "entry 1: amount '1220.005' is not a number of at most 2 decimals",
        ),
        (b'<Amt Ccy="EUR">2.50</Amt>', b"<Amt>2.50</Amt>", "entry 3: amount without a currency (Amt Ccy)"),
        (
            b"<CdtDbtInd>DBIT</CdtDbtInd>",
            b"<CdtDbtInd>DEBIT</CdtDbtInd>",
            "entry 3: CdtDbtInd 'DEBIT' is not CRDT or DBIT",
        ),
        (
            b"<ValDt><Dt>2026-03-04</Dt></ValDt>",
            b"<ValDt><Dt>2026-03-32</Dt></ValDt>",
            "entry 2: ValDt: '2026-03-32' is not a date",
        ),
        (b"<IBAN>IT02X0503401633000000012345</IBAN>", b"", "statement 0503401633-20260305-045: no account"),
    ],
)
def test_a_camt_field_that_does_not_read_is_named(old: bytes, new: bytes, expected: str) -> None:
    assert CAMT_02.count(old) == 1
    message = error_of(CAMT_02.replace(old, new), "bpm.xml")
    assert message.startswith("bpm.xml: ")
    assert expected in message


def test_xml_that_is_not_a_camt053_statement() -> None:
    assert error_of(b"<Document><BkToCstmrStmt><GrpHdr/></Document>", "a.xml") == (
        "a.xml: not well-formed XML: mismatched tag: line 1, column 36"
    )
    camt052 = CAMT_08.replace(b"camt.053.001.08", b"camt.052.001.08").replace(b"BkToCstmrStmt", b"BkToCstmrAcctRpt")
    assert error_of(camt052, "b.xml") == "b.xml: a camt.052 account report, not a camt.053 statement (no BkToCstmrStmt)"
    wrong_version = CAMT_08.replace(b"camt.053.001.08", b"camt.054.001.08")
    assert error_of(wrong_version, "c.xml") == "c.xml: a camt.054.001.08 message, not a camt.053 statement"
    assert error_of(b"<Document><BkToCstmrStmt/></Document>", "d.xml") == (
        "d.xml: no statement (BkToCstmrStmt/Stmt) in the file"
    )
    assert error_of(b'<?xml version="1.0" encoding="x-bank"?><Document/>', "f.xml") == (
        "f.xml: XML in an encoding that cannot be read: unknown encoding: x-bank"
    )
    assert error_of(b"<html><body>Accesso negato</body></html>", "e.xml") == (
        "e.xml: <html>, not a camt.053 statement (no BkToCstmrStmt)"
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            b":61:2603090309D2,50NCHGNONREF",
            b":61:2603090309D2.50NCHGNONREF",
            "line 10: :61: statement line not understood: '2603090309D2.50NCHGNONREF'",
        ),
        (
            b":61:2603090309D2,50NCHGNONREF",
            b":61:2613090309D2,50NCHGNONREF",
            "line 10: :61: '261309' is not a date YYMMDD",
        ),
        (
            b":60F:C260306EUR16606,90",
            b":60F:C260306EUR16606.90",
            "line 5: :60F: balance not understood: 'C260306EUR16606.90'",
        ),
        (b":62F:C260309EUR18124,40", b":62F:C260309USD18124,40", "line 16: closing balance in USD, not EUR"),
        (b":25:IT02X0503401633000000012345\r\n", b"", "no account (:25:)"),
        (b":20:0503401633000047\r\n", b"", "line 2: :25: comes before any statement's :20:"),
        (b"-}", b"-}\r\nGARBAGE AFTER THE MESSAGE", "line 19: text outside any field: 'GARBAGE AFTER THE MESSAGE'"),
    ],
)
def test_an_mt940_field_that_does_not_read_is_named(old: bytes, new: bytes, expected: str) -> None:
    assert MT940.count(old) == 1
    message = error_of(MT940.replace(old, new), "cbi.sta")
    assert message.startswith("cbi.sta: ")
    assert expected in message


def test_text_from_the_file_is_shown_escaped_in_errors() -> None:
    data = MT940.replace(b":61:2603090309D2,50NCHGNONREF", b":61:\x1b]0;pwned\x07NCHG")
    message = error_of(data, "cbi.sta")
    assert "\x1b" not in message and "\\x1b]0;pwned\\x07" in message


def test_files_that_are_no_statement() -> None:
    assert error_of(b"", "empty.sta") == "empty.sta: the file is empty"
    assert error_of(b"Data;Importo;Causale\n05/03/2026;1220,00;ORD-2026-000123\n", "export.csv") == (
        "export.csv: neither a camt.053 XML statement nor an MT940 statement (starting with :20:)"
    )
    assert error_of(b":20:ONLYTHIS\r\n-\r\n", "short.sta").endswith("no account (:25:)")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=st.sampled_from([CAMT_02, CAMT_08, MT940]),
    cut=st.integers(min_value=0, max_value=7000),
    junk=st.binary(max_size=12),
)
def test_a_damaged_file_gives_an_input_error_or_statements(source: bytes, cut: int, junk: bytes) -> None:
    """Bytes replaced anywhere in a good file: the parser answers with statements or an ``InputError``,
    never another exception."""
    at = cut % (len(source) + 1)
    damaged = source[:at] + junk + source[at + len(junk) :]
    try:
        parse_statements(damaged, "damaged")
    except InputError as error:
        assert str(error).startswith("damaged: ")
